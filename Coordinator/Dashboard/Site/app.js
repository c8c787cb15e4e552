// The coordinator's dashboard: a page per route (#/jobs, #/jobs/ID, #/jobs/ID/steps/N, #/workers, #/sweeps, #/sweeps/ID),
// fed by the coordinator's /api: JSON answers and server-sent event streams read with fetch (EventSource cannot send the
// Authorization header). The token lives in sessionStorage: this tab only, gone when it closes.
import { LineChart } from './charts.js';

const tokenKey = 'dt-client-token';
const view = document.getElementById('view');
const login = document.getElementById('login');
let current = null; // the AbortController of the page shown

class Unauthorized extends Error {}

function token() {
  return sessionStorage.getItem(tokenKey) ?? '';
}

function headers() {
  return token() ? { Authorization: `Bearer ${token()}` } : {};
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...headers(), ...(options.headers ?? {}) } });
  if (response.status === 401) {
    throw new Unauthorized();
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  }
  return response;
}

/** Reads a server-sent event stream, calling onEvent(kind, data) per event, until it ends or signal aborts. */
async function stream(path, signal, onEvent) {
  const response = await api(path, { signal, headers: { Accept: 'text/event-stream' } });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return;
    }
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let kind = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) kind = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) {
        onEvent(kind, JSON.parse(data.join('\n')));
      }
    }
  }
}

/** Follows a stream, starting it again two seconds after it fails (a coordinator restart), until signal aborts. */
async function follow(path, signal, onEvent, onEnd) {
  while (!signal.aborted) {
    try {
      await stream(path, signal, onEvent);
      onEnd?.();
      return;
    } catch (failure) {
      if (signal.aborted) return;
      if (failure instanceof Unauthorized) throw failure;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

const num = (v) => (typeof v === 'string' ? Number(v) : v ?? NaN);
const fixed = (v, digits = 3) => (Number.isFinite(num(v)) ? num(v).toFixed(digits) : '—');
const percent = (v) => (Number.isFinite(num(v)) ? `${(100 * num(v)).toFixed(1)}%` : '—');
const time = (ms) => (num(ms) > 0 ? new Date(num(ms)).toLocaleTimeString() : '—');
const ended = (state) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(state);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  node.append(...children.flat(Infinity).map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
  return node;
}

// Attributes that say which thing an element shows: a redraw updates an element in place only when these agree, so a
// node never changes to show another job (and its handlers, which read these attributes, stay right).
const identity = ['id', 'href', 'data-job', 'data-cancel', 'data-worker', 'data-trial', 'data-checkpoint', 'data-step'];

/**
 * Makes `target`'s children look like `children` (what replaceChildren would give) while keeping every node that
 * already shows the same thing: live pages redraw many times a second, and a replaced button loses the click the user
 * (or a browser test) is in the middle of.
 */
function patch(target, ...children) {
  const wanted = children.flat(Infinity).map((c) => (c instanceof Node ? c : document.createTextNode(String(c))));
  wanted.forEach((next, i) => {
    const node = target.childNodes[i];
    if (!node) target.append(next);
    else if (node.isEqualNode(next)) return;
    else if (node.nodeType === Node.TEXT_NODE && next.nodeType === Node.TEXT_NODE) node.data = next.data;
    else if (sameThing(node, next)) {
      for (const { name } of [...node.attributes]) if (!next.hasAttribute(name)) node.removeAttribute(name);
      for (const { name, value } of [...next.attributes]) if (node.getAttribute(name) !== value) node.setAttribute(name, value);
      patch(node, ...next.childNodes);
    } else node.replaceWith(next);
  });
  while (target.childNodes.length > wanted.length) target.lastChild.remove();
}

const sameThing = (a, b) => a.nodeType === Node.ELEMENT_NODE && b.nodeType === Node.ELEMENT_NODE && a.tagName === b.tagName
  && identity.every((name) => a.getAttribute(name) === b.getAttribute(name));

const stateBadge = (state) => el('span', { class: `state ${state}` }, state);

/** Redraws with `draw` at most once per animation frame. */
function throttled(draw) {
  let pending = false;
  return () => {
    if (!pending) {
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        draw();
      });
    }
  };
}

/** Applies one WatchJob event to a job (the same fields the Jobs API streams). */
function apply(job, event) {
  if (event.snapshot) return event.snapshot;
  if (event.state) job.state = event.state;
  if (event.step) {
    const p = (job.progress ??= {});
    p.step = event.step.step;
    p.epoch = event.step.epoch;
    p.samplesDoneInEpoch = event.step.samplesDoneInEpoch;
    p.samplesPerEpoch = event.step.samplesPerEpoch;
  }
  if (event.epoch) (job.epochs ??= []).push(event.epoch);
  if (event.message) job.message = event.message;
  return job;
}

function latestAccuracy(job) {
  if (job.result && Number.isFinite(num(job.result.testAccuracy)) && ended(job.state) && job.state === 'SUCCEEDED') {
    return job.result.testAccuracy;
  }
  const last = job.epochs?.at(-1);
  if (!last) return NaN;
  return Number.isFinite(num(last.validationAccuracy)) ? last.validationAccuracy : last.testAccuracy;
}

function progressBar(job) {
  const p = job.progress ?? {};
  const total = num(p.totalSteps);
  const done = num(p.step);
  const fraction = total > 0 ? Math.min(1, done / total) : 0;
  return el('span', {}, el('span', { class: 'bar' }, el('span', { style: `width:${(100 * fraction).toFixed(1)}%` })),
    `epoch ${p.epoch ?? 0}/${p.epochs ?? 0}, step ${done || 0}/${total || '?'}`);
}

async function confirmCancel(jobId) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = `Cancel job ${jobId}? It stops at its next step boundary and ends CANCELLED.`;
  dialog.returnValue = '';
  dialog.showModal();
  await new Promise((resolve) => dialog.addEventListener('close', resolve, { once: true }));
  if (dialog.returnValue !== 'yes') return;
  await api(`/api/jobs/${encodeURIComponent(jobId)}/cancel`, { method: 'POST' });
}

function cancelButton(job) {
  return ended(job.state)
    ? ''
    : el('button', { class: 'danger', type: 'button', 'data-cancel': job.jobId, onclick: (e) => { e.stopPropagation(); confirmCancel(e.currentTarget.dataset.cancel).catch(showError); } }, 'Cancel');
}

// ---- pages ----

async function jobsPage(signal) {
  const jobs = new Map();
  const body = el('tbody');
  view.append(el('h1', {}, 'Jobs'),
    el('table', { id: 'jobs' },
      el('thead', {}, el('tr', {}, ['Job', 'Name', 'State', 'Progress', 'Accuracy', 'Samples/s', 'Workers', 'Created', ''].map((h) => el('th', {}, h)))),
      body));
  const draw = throttled(() => {
    const rows = [...jobs.values()].sort((a, b) => num(b.createdUnixMs) - num(a.createdUnixMs));
    patch(body, ...(rows.length === 0 ? [el('tr', {}, el('td', { colspan: 9, class: 'muted' }, 'No jobs yet: submit one with trainctl submit.'))]
      : rows.map((job) => el('tr', { 'data-job': job.jobId, 'data-state': job.state },
      el('td', {}, el('a', { href: `#/jobs/${job.jobId}` }, job.jobId)),
      el('td', {}, job.spec?.name ?? ''),
      el('td', {}, stateBadge(job.state), el('div', { class: 'muted' }, job.message ?? '')),
      el('td', {}, progressBar(job)),
      el('td', { class: 'num' }, percent(latestAccuracy(job))),
      el('td', { class: 'num' }, fixed(job.epochs?.at(-1)?.samplesPerSecond, 0)),
      el('td', { class: 'num' }, job.progress?.workers ?? 0),
      el('td', {}, time(job.createdUnixMs)),
      el('td', {}, cancelButton(job))))));
  });
  await follow('/api/jobs/stream', signal, (kind, data) => {
    if (kind === 'jobs') {
      jobs.clear();
      for (const job of data.jobs) jobs.set(job.jobId, job);
    } else if (kind === 'job') {
      jobs.set(data.jobId, apply(jobs.get(data.jobId) ?? { jobId: data.jobId }, data.event));
    }
    draw();
  });
}

async function jobPage(signal, jobId) {
  let job = { jobId };
  const header = el('div');
  const charts = el('div', { class: 'charts' });
  const loss = new LineChart(charts, 'Loss', ['train (step)', 'validation (epoch)'], { xLabel: 'step' });
  const accuracy = new LineChart(charts, 'Accuracy', ['train', 'validation', 'test'], { xLabel: 'epoch' });
  const rate = new LineChart(charts, 'Learning rate', ['learning rate'], { xLabel: 'step' });
  const norm = new LineChart(charts, 'Gradient norm', ['global L2 norm'], { xLabel: 'step', logY: true });
  const clip = new LineChart(charts, 'Clip ratio', ['scale applied (1: not clipped)'], { xLabel: 'step' });
  const events = el('ul', { class: 'events', id: 'events' });
  const tensors = el('div', { id: 'tensors' }, el('p', { class: 'muted' }, 'Measured every 50th step; none yet.'));
  const checkpoints = el('div', { id: 'checkpoints' });
  const steps = el('div', { id: 'steps' });
  view.append(header, charts, el('h2', {}, 'Events'), events, el('h2', {}, 'Gradient health per tensor'), tensors,
    el('h2', {}, 'Checkpoints'), checkpoints, el('h2', {}, 'Step traces'), steps);

  const drawHeader = throttled(() => {
    const last = job.epochs?.at(-1);
    patch(header,
      el('h1', {}, `Job ${jobId} `, job.spec ? el('span', { class: 'muted' }, job.spec.name) : ''),
      el('div', { class: 'summary' },
        el('div', {}, 'State', el('b', { id: 'job-state' }, stateBadge(job.state ?? '…'))),
        el('div', {}, 'Progress', el('b', {}, progressBar(job))),
        el('div', {}, 'Accuracy', el('b', {}, percent(latestAccuracy(job)))),
        el('div', {}, 'Samples/s', el('b', {}, fixed(last?.samplesPerSecond, 0))),
        el('div', {}, 'Workers', el('b', {}, job.progress?.workers ?? 0)),
        el('div', {}, '', el('b', {}, cancelButton(job)))),
      el('p', { class: 'muted' }, job.message ?? ''));
  });
  const addEvent = (text) => {
    events.prepend(el('li', {}, text));
    while (events.childElementCount > 200) events.lastChild.remove();
  };
  const addEpoch = (e) => {
    loss.add(1, num(e.step), num(e.validationLoss));
    accuracy.add(0, num(e.epoch), num(e.trainAccuracy));
    accuracy.add(1, num(e.epoch), num(e.validationAccuracy));
    accuracy.add(2, num(e.epoch), num(e.testAccuracy));
  };
  const addStep = (s) => {
    const x = num(s.step);
    loss.add(0, x, num(s.loss));
    rate.add(0, x, num(s.learningRate));
    norm.add(0, x, num(s.gradientNorm));
    clip.add(0, x, num(s.clipScale));
  };
  const showTensors = (step) => {
    tensors.replaceChildren(el('p', { class: 'muted' }, `Step ${step.step}: gradient L2 norm before clipping and update size relative to the values.`),
      el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'Tensor'), el('th', {}, 'Gradient norm'), el('th', {}, 'Update ratio'))),
        el('tbody', {}, step.tensors.map((t) => el('tr', {}, el('td', {}, t.name), el('td', { class: 'num' }, num(t.gradientNorm).toExponential(3)),
          el('td', { class: 'num' }, num(t.updateRatio).toExponential(3)))))));
  };
  const loadCheckpoints = async () => {
    const list = await (await api(`/api/jobs/${jobId}/checkpoints`)).json();
    patch(checkpoints, list.checkpoints.length === 0 ? el('p', { class: 'muted' }, 'None yet.')
      : el('ul', {}, list.checkpoints.map((name) => el('li', {}, el('a', { href: '#', 'data-checkpoint': name, onclick: (e) => { e.preventDefault(); download(jobId, e.currentTarget.dataset.checkpoint).catch(showError); } }, `${name}.tar`)))));
  };
  const loadSteps = async () => {
    const list = await (await api(`/api/jobs/${jobId}/steps`)).json();
    patch(steps, list.steps.length === 0 ? el('p', { class: 'muted' }, 'No traced step in the span files yet.')
      : el('p', {}, 'Waterfall of step: ', list.steps.slice(-40).map((s) => [el('a', { href: `#/jobs/${jobId}/steps/${s}`, 'data-step': s }, s), ' '])));
  };

  await follow(`/api/jobs/${encodeURIComponent(jobId)}/events`, signal, (kind, event) => {
    if (kind === 'snapshot') {
      // The job as it is after a state change or a notable event (its workers, its message); the curves stay.
      job = event;
      drawHeader();
      return;
    }
    job = apply(job, event);
    if (event.snapshot) {
      // Every watch (a reconnect too) begins with the snapshot, then the step history and the job's recent events in
      // words: the curves and the event list start again from them.
      [loss, accuracy, rate, norm, clip].forEach((chart) => chart.clear());
      events.replaceChildren();
      (job.epochs ?? []).forEach(addEpoch);
      loadCheckpoints().catch(showError);
      loadSteps().catch(showError);
    } else if (event.history) {
      // The steps before the page opened, downsampled; the live step events go on after the last of them.
      event.history.steps.forEach(addStep);
    } else if (event.step) {
      addStep(event.step);
      if (event.step.tensors?.length > 0) showTensors(event.step);
    } else if (event.epoch) {
      addEpoch(event.epoch);
      addEvent(`${time(event.unixMs)} epoch ${event.epoch.epoch}: validation accuracy ${percent(event.epoch.validationAccuracy)}, ${fixed(event.epoch.samplesPerSecond, 0)} samples/s`);
      loadCheckpoints().catch(showError);
    } else if (event.state) {
      addEvent(`${time(event.unixMs)} state ${event.state}`);
    } else if (event.message) {
      addEvent(`${time(event.unixMs)} ${event.message}`);
    }
    drawHeader();
  }, () => {
    loadCheckpoints().catch(showError);
    loadSteps().catch(showError);
  });
}

async function download(jobId, name) {
  // A plain link cannot carry the Authorization header: fetch the archive, then hand it to the browser as a file.
  const blob = await (await api(`/api/jobs/${jobId}/checkpoints/${name}`)).blob();
  const link = el('a', { href: URL.createObjectURL(blob), download: `${jobId}-${name}.tar` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

async function stepPage(signal, jobId, step) {
  view.append(el('h1', {}, `Job `, el('a', { href: `#/jobs/${jobId}` }, jobId), ` step ${step}`));
  const trace = await (await api(`/api/jobs/${jobId}/steps/${step}`, { signal })).json();
  const rowHeight = 20, labelWidth = 330, width = Math.max(700, view.clientWidth - 20);
  const scale = (width - labelWidth - 90) / Math.max(trace.durationMs, 1e-6);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'waterfall');
  svg.setAttribute('id', 'waterfall');
  svg.setAttribute('viewBox', `0 0 ${width} ${(trace.spans.length + 1) * rowHeight + 10}`);
  const colors = { coordinator: '#2b59c3', worker: '#1a7f37' };
  const add = (tag, attributes, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  add('text', { x: 4, y: 14, class: 'muted' }, `trace ${trace.traceId}: ${trace.spans.length} spans, ${trace.durationMs.toFixed(3)} ms`);
  trace.spans.forEach((span, i) => {
    const y = (i + 1) * rowHeight + 4;
    const worker = span.rank !== null && span.rank !== undefined;
    const who = worker ? `worker rank ${span.rank}` : span.service;
    const row = add('g', { 'data-span': span.name, 'data-worker': worker ? String(span.rank) : '' });
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', 4 + 12 * span.depth);
    label.setAttribute('y', y + 13);
    label.textContent = `${span.name} · ${who}${span.orphan ? ' (parent not recorded)' : ''}`;
    const bar = document.createElementNS(ns, 'rect');
    bar.setAttribute('x', labelWidth + span.offsetMs * scale);
    bar.setAttribute('y', y + 3);
    bar.setAttribute('width', Math.max(1, span.durationMs * scale));
    bar.setAttribute('height', rowHeight - 6);
    bar.setAttribute('fill', span.status === 'Error' ? '#c0362c' : worker ? colors.worker : colors.coordinator);
    const title = document.createElementNS(ns, 'title');
    title.textContent = `${span.name} (${who}): starts at ${span.offsetMs.toFixed(3)} ms, lasts ${span.durationMs.toFixed(3)} ms`;
    bar.append(title);
    const duration = document.createElementNS(ns, 'text');
    duration.setAttribute('x', labelWidth + (span.offsetMs + span.durationMs) * scale + 4);
    duration.setAttribute('y', y + 13);
    duration.textContent = `${span.durationMs.toFixed(2)} ms`;
    row.append(label, bar, duration);
  });
  view.append(svg, el('p', { class: 'muted' }, 'Blue: the coordinator; green: the workers (by ring rank); red: failed spans. The same spans as trainctl trace prints.'));
}

async function workersPage(signal) {
  const summary = el('p', { id: 'workers-summary' });
  const stragglers = el('p', { id: 'stragglers' });
  const body = el('tbody');
  view.append(el('h1', {}, 'Workers'), summary, stragglers,
    el('table', { id: 'workers' }, el('thead', {}, el('tr', {}, ['Worker', 'Address', 'Threads', 'Job', 'Samples/s', 'Compute ms per step (median of last 16)', ''].map((h) => el('th', {}, h)))), body));
  await follow('/api/workers/stream', signal, (kind, table) => {
    summary.textContent = `${table.live} registered, ${table.live - table.free} leased by jobs, ${table.free} free.`;
    const slow = table.workers.filter((w) => w.straggler);
    stragglers.replaceChildren(slow.length === 0 ? el('span', { class: 'muted' }, 'No straggler (a worker under half the median speed of its job).')
      : el('span', { class: 'straggler' }, `Stragglers: ${slow.map((w) => `${w.id} (job ${w.jobId})`).join(', ')}`));
    patch(body, ...(table.workers.length === 0 ? [el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No worker registered.'))]
      : table.workers.map((w) => el('tr', { 'data-worker': w.id },
      el('td', {}, w.id), el('td', {}, w.address), el('td', { class: 'num' }, w.threads),
      el('td', {}, w.jobId ? el('a', { href: `#/jobs/${w.jobId}` }, w.jobId) : el('span', { class: 'muted' }, 'free')),
      el('td', { class: 'num' }, fixed(w.samplesPerSecond, 0)),
      el('td', { class: 'num step-ms' }, Number.isFinite(num(w.stepMilliseconds)) ? num(w.stepMilliseconds).toPrecision(3) : '—'),
      el('td', {}, w.straggler ? el('span', { class: 'straggler' }, 'straggler') : '')))));
  });
}

async function sweepsPage(signal) {
  const list = await (await api('/api/sweeps', { signal })).json();
  view.append(el('h1', {}, 'Sweeps'), list.sweeps.length === 0 ? el('p', { class: 'muted' }, 'No sweeps yet: start one with trainctl sweep.')
    : el('table', { id: 'sweeps' }, el('thead', {}, el('tr', {}, ['Sweep', 'Name', 'State', 'Trials', 'Best objective', 'Created'].map((h) => el('th', {}, h)))),
      el('tbody', {}, list.sweeps.map((s) => el('tr', {},
        el('td', {}, el('a', { href: `#/sweeps/${s.sweepId}` }, s.sweepId)), el('td', {}, s.spec?.name ?? ''), el('td', {}, stateBadge(s.state)),
        el('td', { class: 'num' }, s.trials.length), el('td', { class: 'num' }, fixed(best(s)?.objective, 4)), el('td', {}, time(s.createdUnixMs)))))));
}

function best(sweep) {
  return sweep.bestTrial !== undefined && sweep.bestTrial !== null ? sweep.trials.find((t) => t.number === sweep.bestTrial) : undefined;
}

async function sweepPage(signal, sweepId) {
  let sweep = null;
  const header = el('div');
  const plot = el('div', { id: 'objective' });
  const body = el('tbody');
  const events = el('ul', { class: 'events' });
  view.append(header, el('h2', {}, 'Objective by trial'), plot, el('h2', {}, 'Trials'),
    el('table', { id: 'trials' }, el('thead', {}, el('tr', {}, ['Trial', 'Parameters', 'State', 'Epochs', 'Objective', 'Job', 'Message'].map((h) => el('th', {}, h)))), body),
    el('h2', {}, 'Events'), events);
  const draw = throttled(() => {
    if (!sweep) return;
    patch(header, el('h1', {}, `Sweep ${sweepId} `, el('span', { class: 'muted' }, sweep.spec?.name ?? '')),
      el('p', {}, stateBadge(sweep.state), ' ', sweep.message ?? ''));
    const top = best(sweep);
    patch(body, ...sweep.trials.map((t) => el('tr', { 'data-trial': t.number, class: top === t ? 'best' : '' },
      el('td', { class: 'num' }, t.number + (top === t ? ' ★' : '')),
      el('td', {}, (t.parameters ?? []).map((p) => `${p.path}=${JSON.stringify(p.value)}`).join(', ')),
      el('td', {}, stateBadge(t.state)), el('td', { class: 'num' }, t.epochsRun),
      el('td', { class: 'num' }, fixed(t.objective, 4)),
      el('td', {}, t.jobId ? el('a', { href: `#/jobs/${t.jobId}` }, t.jobId) : ''), el('td', { class: 'muted' }, t.message ?? ''))));
    plot.replaceChildren(objectivePlot(sweep, top));
  });
  await follow(`/api/sweeps/${encodeURIComponent(sweepId)}/events`, signal, (kind, event) => {
    if (event.snapshot) sweep = event.snapshot;
    else if (sweep && event.trial) {
      const index = sweep.trials.findIndex((t) => t.number === event.trial.number);
      if (index >= 0) sweep.trials[index] = event.trial; else sweep.trials.push(event.trial);
    } else if (sweep && event.state) sweep.state = event.state;
    else if (event.message) events.prepend(el('li', {}, `${time(event.unixMs)} ${event.message}`));
    draw();
  });
}

function objectivePlot(sweep, top) {
  const ns = 'http://www.w3.org/2000/svg';
  const points = sweep.trials.filter((t) => Number.isFinite(num(t.objective)));
  const width = 600, height = 220, left = 50, bottom = 24;
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'plot');
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  const text = (x, y, value) => {
    const node = document.createElementNS(ns, 'text');
    node.setAttribute('x', x);
    node.setAttribute('y', y);
    node.setAttribute('font-size', '11');
    node.textContent = value;
    svg.append(node);
  };
  if (points.length === 0) {
    text(10, height / 2, 'No trial has an objective yet.');
    return svg;
  }
  const ys = points.map((t) => num(t.objective));
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (y0 === y1) { y0 -= 0.5; y1 += 0.5; }
  const n = Math.max(...sweep.trials.map((t) => t.number), 1);
  for (const t of points) {
    const dot = document.createElementNS(ns, 'circle');
    dot.setAttribute('cx', left + (t.number / n) * (width - left - 10));
    dot.setAttribute('cy', 8 + (1 - (num(t.objective) - y0) / (y1 - y0)) * (height - bottom - 16));
    dot.setAttribute('r', t === top ? 6 : 4);
    dot.setAttribute('fill', t === top ? '#c0362c' : '#2b59c3');
    svg.append(dot);
  }
  text(2, 14, y1.toPrecision(4));
  text(2, height - bottom, y0.toPrecision(4));
  text(left, height - 6, `trial 0 … ${n} (${sweep.spec?.objective?.metric ?? 'objective'})`);
  return svg;
}

// ---- routing and sign-in ----

function showError(failure) {
  if (failure instanceof Unauthorized) {
    showLogin(token() ? 'The coordinator refused this token.' : 'This coordinator needs a token.');
    return;
  }
  if (failure?.name === 'AbortError') return;
  view.append(el('p', { class: 'error', role: 'alert' }, failure?.message ?? String(failure)));
}

function showLogin(message) {
  current?.abort();
  view.replaceChildren();
  login.hidden = false;
  document.getElementById('login-error').textContent = message;
  document.getElementById('token').focus();
}

function route() {
  current?.abort();
  current = new AbortController();
  const signal = current.signal;
  login.hidden = true;
  document.getElementById('sign-out').hidden = !token();
  view.replaceChildren();
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  for (const link of document.querySelectorAll('[data-nav]')) link.classList.toggle('active', link.dataset.nav === (parts[0] || 'jobs'));
  let page;
  if (parts[0] === 'jobs' && parts[1] && parts[2] === 'steps' && parts[3]) page = stepPage(signal, parts[1], parts[3]);
  else if (parts[0] === 'jobs' && parts[1]) page = jobPage(signal, parts[1]);
  else if (parts[0] === 'workers') page = workersPage(signal);
  else if (parts[0] === 'sweeps' && parts[1]) page = sweepPage(signal, parts[1]);
  else if (parts[0] === 'sweeps') page = sweepsPage(signal);
  else page = jobsPage(signal);
  page.catch(showError);
}

login.addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem(tokenKey, document.getElementById('token').value);
  route();
});
document.getElementById('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(tokenKey);
  showLogin('');
});
window.addEventListener('hashchange', route);
route();
