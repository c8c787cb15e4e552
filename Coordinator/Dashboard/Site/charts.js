// Line charts on a canvas: drawing 1,000 points of several series is one path per series, redrawn at most once per
// animation frame however many points arrive in between, so a page with many live curves stays responsive.

const palette = ['#2b59c3', '#c0362c', '#1a7f37', '#b7791f', '#7b3fc4'];

/** A titled chart of one or more series of (x, y) points; points with a non-finite y are left out. */
export class LineChart {
  /**
   * @param {HTMLElement} parent where the chart goes
   * @param {string} title the chart's heading
   * @param {string[]} series the series' names, in legend order
   * @param {{logY?: boolean, xLabel?: string}} options logY: a logarithmic y axis (positive values only)
   */
  constructor(parent, title, series, options = {}) {
    this.series = series.map((name, i) => ({ name, color: palette[i % palette.length], xs: [], ys: [] }));
    this.options = options;
    this.element = document.createElement('div');
    this.element.className = 'chart';
    this.element.dataset.chart = title;
    this.element.dataset.points = '0';
    this.element.dataset.xMin = '';
    const heading = document.createElement('h3');
    heading.textContent = title;
    const legend = document.createElement('div');
    legend.className = 'legend';
    for (const s of this.series) {
      const item = document.createElement('span');
      item.style.color = s.color;
      item.textContent = `— ${s.name}`;
      legend.append(item);
    }
    this.canvas = document.createElement('canvas');
    this.element.append(heading, legend, this.canvas);
    parent.append(this.element);
    this.pending = false;
  }

  /** Adds a point to series `index` and schedules a redraw. */
  add(index, x, y) {
    if (!Number.isFinite(x) || !Number.isFinite(y) || (this.options.logY && y <= 0)) {
      return;
    }
    const s = this.series[index];
    s.xs.push(x);
    s.ys.push(y);
    this.element.dataset.points = String(this.series.reduce((n, t) => n + t.xs.length, 0));
    // Where the curves begin, readable without the canvas (as the point count is).
    if (this.element.dataset.xMin === '' || x < Number(this.element.dataset.xMin)) this.element.dataset.xMin = String(x);
    this.schedule();
  }

  /** Removes every point. */
  clear() {
    for (const s of this.series) {
      s.xs = [];
      s.ys = [];
    }
    this.element.dataset.points = '0';
    this.element.dataset.xMin = '';
    this.schedule();
  }

  schedule() {
    if (!this.pending) {
      this.pending = true;
      requestAnimationFrame(() => {
        this.pending = false;
        this.draw();
      });
    }
  }

  draw() {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 400;
    const height = canvas.clientHeight || 180;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const all = this.series.filter((s) => s.xs.length > 0);
    g.font = '11px system-ui, sans-serif';
    g.fillStyle = '#667085';
    if (all.length === 0) {
      g.fillText('waiting for data…', 10, height / 2);
      return;
    }
    const f = this.options.logY ? Math.log10 : (v) => v;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const s of all) {
      for (let i = 0; i < s.xs.length; i++) {
        const x = s.xs[i], y = f(s.ys[i]);
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === y0) { y1 += 0.5; y0 -= 0.5; }
    const left = 52, right = 8, top = 6, bottom = 18;
    const sx = (x) => left + ((x - x0) / (x1 - x0)) * (width - left - right);
    const sy = (y) => top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom);
    g.strokeStyle = '#d8dce3';
    g.lineWidth = 1;
    g.beginPath();
    g.moveTo(left, top);
    g.lineTo(left, height - bottom);
    g.lineTo(width - right, height - bottom);
    g.stroke();
    const label = (v) => (this.options.logY ? 10 ** v : v).toPrecision(3);
    g.fillText(label(y1), 2, top + 8);
    g.fillText(label(y0), 2, height - bottom);
    g.fillText(String(x0), left, height - 4);
    const last = `${this.options.xLabel ?? ''} ${x1}`;
    g.fillText(last, width - right - g.measureText(last).width, height - 4);
    for (const s of all) {
      g.strokeStyle = s.color;
      g.lineWidth = 1.5;
      g.beginPath();
      for (let i = 0; i < s.xs.length; i++) {
        const px = sx(s.xs[i]), py = sy(f(s.ys[i]));
        if (i === 0) g.moveTo(px, py); else g.lineTo(px, py);
      }
      g.stroke();
      if (s.xs.length === 1) {
        g.fillStyle = s.color;
        g.fillRect(sx(s.xs[0]) - 2, sy(f(s.ys[0])) - 2, 4, 4);
      }
    }
  }
}
