using System.Diagnostics;
using DistributedTrainer.ClusterApi;
using DistributedTrainer.Data;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Optimizers;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using DistributedTrainer.Training.Adversarial;

namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// Computes a job's micro-shards and evaluations on its workers (the protocol at the top of cluster.proto): each step every worker
/// gets its contiguous run of micro-shards, sized by its measured throughput (<see cref="ShardBalancer"/>), and its segment of the master parameters
/// (or, when it holds the step before, that step's update to repeat on its segment: <see cref="Updated"/>), the workers all-gather the
/// parameters and reduce-scatter the exact fixed-point gradient sums over their ring, and each answers with its
/// segment of the sums divided by the batch size (the batch's mean gradient, as <see cref="StepGradient.Average"/> gives it).
/// Results are summed in shard order, so the <see cref="Trainer"/> above gets bitwise what <see cref="LocalGradientBackend"/>
/// gives, on any number of workers. Which workers form the ring, and which of them a failure blames, is
/// <see cref="RingMembership"/>'s; this class runs each step's round on it.
/// </summary>
/// <remarks>
/// Elastic: a step's calls have the deadline <see cref="StepDeadlines"/> gives (the running median step time,
/// within the spec's floor and ceiling), and the workers' ring pieces half of it, so a silent peer is named by its
/// neighbour before the coordinator's deadline passes. When a call fails, the worker at fault (the caller itself,
/// or the ring peer it names) is named in an event and dropped from the pool (<see cref="RingMembership"/>), the others are
/// prepared again as a new ring generation, and the same step is re-run from the unchanged master parameters: survivors keep their data
/// and engines, and no checkpoint is reloaded. Workers that joined the pool are taken in at the next step.
/// A GAN job's backend (<see cref="IAdversarialBackend"/>) sends both networks' parameters every step and names the
/// network the step updates; the workers reduce that network's sums, and everything else goes as above.
/// </remarks>
internal sealed class ClusterGradientBackend : IGradientBackend, IAdversarialBackend
{
    private readonly string _jobId;
    private readonly LoadedData _data;
    // The network of an ordinary job, or a GAN's discriminator, whose parameters come after _generator's.
    private readonly Model _model;
    private readonly Model? _generator;
    private readonly ParameterStore[] _stores;
    private readonly ClusterBackendOptions _options;
    private readonly Action<string> _onEvent;
    private readonly StepDeadlines _deadlines;
    private readonly int _shardSize;
    private readonly float[] _parameters;
    private readonly RingMembership _ring;
    private readonly ShardBalancer _balancer;
    // This attempt's micro-shards by rank, from the balancer: the headers and the collection read the same split.
    private (int First, int Count)[] _assignment = [];
    // The shard outcomes of the step collected last, placed by index whichever worker computed them.
    private readonly ShardOutcomes _outcomes = new();
    private StepResult[] _stepResults = [];
    // The network the step in flight updates: non-finite indices of the workers' sums are named in it.
    private Model _updated;
    // The step number the next collective uses: a parameter sync before an evaluation takes the step after the last one.
    private long _nextStep;
    // The batch after the one in ComputeAsync (the trainer's hint); empty when unknown.
    private ReadOnlyMemory<int> _upcoming;
    // The master's optimizer, once the trainer has named it (UseOptimizer): its state goes to the workers with the parameters.
    private Optimizer? _optimizer;
    // The step the workers of generation _heldGeneration answered last, whose parameters (the master's before that step's
    // update) and mean gradient they hold; -1 when they hold none that the master still matches.
    private long _heldStep = -1;
    private long _heldGeneration;
    // Whether the workers hold their segments' optimizer state, as the master's stood before the held step's update.
    private bool _workersHoldState;
    // The update of the held step, once the trainer has applied it to the master: the next step sends it instead of parameters.
    private SegmentUpdate? _heldUpdate;
    // Global-norm clipping needs the whole gradient before the update is known, so it keeps the next step from starting early.
    private readonly bool _clipsByGlobalNorm;
    // The trainer's plan for the step it asks for next (Plan), taken by that step.
    private StepPlan? _plan;
    // The step whose headers went out right behind the current one's; null when none did.
    private AheadStep? _ahead;

    /// <param name="jobId">The job; workers hold it under this id.</param>
    /// <param name="spec">The job's spec, with data paths the workers can read; fault_tolerance sets the deadlines.</param>
    /// <param name="data">The job's data as loaded here (split sizes).</param>
    /// <param name="model">The master model; its parameters are read at every step.</param>
    /// <param name="pool">The job's workers; failed ones are dropped from it, joined ones taken from it.</param>
    /// <param name="options">Deadlines of the calls other than steps, and the workers' token.</param>
    /// <param name="onEvent">Receives one line per notable event (the job's event log).</param>
    public ClusterGradientBackend(string jobId, JobSpec spec, LoadedData data, Model model,
        IWorkerPool pool, ClusterBackendOptions options, Action<string> onEvent)
        : this(jobId, spec, data, null, model, pool, options, onEvent)
    {
    }

    /// <summary>
    /// As the other constructor; with <paramref name="generator"/> set, the backend of a GAN job (spec.adversarial set)
    /// over its master generator and its master discriminator <paramref name="model"/>.
    /// </summary>
    public ClusterGradientBackend(string jobId, JobSpec spec, LoadedData data, Model? generator, Model model,
        IWorkerPool pool, ClusterBackendOptions options, Action<string> onEvent)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(onEvent);
        options.Validate();
        _jobId = jobId;
        _data = data;
        _model = model;
        _generator = generator;
        _updated = model;
        _stores = generator is null ? [model.Store] : [generator.Store, model.Store];
        _options = options;
        _balancer = new ShardBalancer(options.BalanceByThroughput);
        _onEvent = onEvent;
        _deadlines = StepDeadlines.FromSpec(spec.FaultTolerance);
        _shardSize = MicroShards.SizeOf(spec);
        _clipsByGlobalNorm = spec.Clipping?.MaxGlobalNorm > 0f;
        _parameters = new float[FlatVectors.ParameterLength(_stores)];
        _ring = new RingMembership(jobId, spec, pool, options, onEvent, _parameters.Length, FlatVectors.GradientLength(model.Store),
            generator is null ? 0 : FlatVectors.GradientLength(generator.Store));
    }

    public ValueTask<ShardResult> ComputeAsync(long step, ReadOnlyMemory<int> batch, StepGradient gradient,
        CancellationToken cancellationToken) =>
        ComputeAsync(step, StepHeader.Types.Update.Unspecified, batch, batch.Length, gradient, cancellationToken);

    public ValueTask<ShardResult> CriticAsync(long step, ReadOnlyMemory<int> batch, StepGradient gradient,
        CancellationToken cancellationToken) =>
        ComputeAsync(step, StepHeader.Types.Update.Critic, batch, batch.Length, gradient, cancellationToken);

    public ValueTask<ShardResult> GeneratorAsync(long step, int vectors, StepGradient gradient,
        CancellationToken cancellationToken) =>
        ComputeAsync(step, StepHeader.Types.Update.Generator, ReadOnlyMemory<int>.Empty, vectors, gradient, cancellationToken);

    /// <summary>
    /// One step of <paramref name="update"/> over <paramref name="samples"/> samples cut into micro-shards: the ids of
    /// <paramref name="batch"/>, or (a generator update) as many noise vectors.
    /// </summary>
    private async ValueTask<ShardResult> ComputeAsync(long step, StepHeader.Types.Update update, ReadOnlyMemory<int> batch, int samples,
        StepGradient gradient, CancellationToken cancellationToken)
    {
        if ((update == StepHeader.Types.Update.Unspecified) != (_generator is null))
        {
            throw new InvalidOperationException(_generator is null
                ? $"Job {_jobId} is not a GAN job: it has no {update} update"
                : $"Job {_jobId} is a GAN job: every step updates the generator or the discriminator");
        }
        _updated = update == StepHeader.Types.Update.Generator ? _generator! : _model;
        var plan = _plan;
        _plan = null;
        await _ring.AdmitAsync(step, cancellationToken);
        int shards = MicroShards.Count(samples, _shardSize);
        bool retry = false;
        while (true)
        {
            try
            {
                if (retry)
                {
                    // The failed attempt's non-finite marks must not survive into the re-run (its pieces are overwritten:
                    // every call checks that its segment was covered).
                    gradient.Reset();
                }
                var ahead = TakeAhead(step, update, batch);
                await _ring.EnsurePreparedAsync(step, cancellationToken);
                var segmentUpdate = ahead?.Update ?? SegmentUpdateFor(step);
                // Whatever happens below, the workers hold this step's state only once every one of them has answered.
                (_heldStep, _heldUpdate) = (-1, null);
                var started = Stopwatch.GetTimestamp();
                var following = plan is not null ? Following(step, plan, segmentUpdate, shards) : null;
                await StepAllAsync(step, update, batch, samples, shards, gradient, segmentUpdate, "step", ahead, following,
                    cancellationToken);
                var result = Collect(step, shards, gradient);
                (_heldStep, _heldGeneration) = (step, _ring.Generation);
                // A segment update keeps the state the workers held; pieces bring it when there is an optimizer to send.
                _workersHoldState = segmentUpdate is not null || SentState is not null;
                _deadlines.Record(Stopwatch.GetElapsedTime(started));
                Balance();
                _nextStep = step + 1;
                return result;
            }
            catch (WorkerFailedException failure) when (!cancellationToken.IsCancellationRequested && _ring.IsWorkersFault(failure, step))
            {
                await _ring.DropAsync(failure, cancellationToken);
                retry = true;
            }
        }
    }

    public void Upcoming(ReadOnlyMemory<int> nextBatch) => _upcoming = nextBatch;

    public void Plan(StepPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        _plan = plan;
    }

    /// <summary>The master's optimizer: its state goes to the workers with the parameters, read when they are sent.</summary>
    public void UseOptimizer(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        _optimizer = optimizer;
    }

    /// <summary>
    /// Keeps the master's update of the step the workers hold, so that the next step has them repeat it on their segments
    /// (StepHeader.segment_update) instead of receiving the new parameters. Any other change of the master (an update of
    /// a step they do not hold) makes the next step send the parameters.
    /// </summary>
    public void Updated(long step, UpdateResult update)
    {
        if (_generator is not null || _optimizer is null || step != _heldStep)
        {
            (_heldStep, _heldUpdate) = (-1, null);
            return;
        }
        _heldUpdate = new SegmentUpdate
        {
            Step = step,
            Applied = update.Applied,
            LearningRate = update.LearningRate,
            ClipScale = update.Applied ? update.ClipScale : 1f,
            OptimizerStep = _optimizer.StepCount,
        };
    }

    /// <summary>
    /// The update that brings the workers' segments to the master's parameters for <paramref name="step"/>, or null when
    /// they need the parameters themselves: they hold the step before it in this generation, with optimizer state, and the
    /// master has changed by exactly that step's update since.
    /// </summary>
    private SegmentUpdate? SegmentUpdateFor(long step) =>
        _heldUpdate is { } held && held.Step == step - 1 && _heldStep == step - 1 && _heldGeneration == _ring.Generation && _workersHoldState
            ? held
            : null;

    public async ValueTask<ShardResult> EvaluateAsync(DataSplit split, CancellationToken cancellationToken)
    {
        Dataset? data = split == DataSplit.Validation ? _data.Validation : _data.Test;
        if (data is null)
        {
            return default;
        }
        while (true)
        {
            try
            {
                return await EvaluateOnRingAsync(split, data, cancellationToken);
            }
            catch (WorkerFailedException failure) when (!cancellationToken.IsCancellationRequested && _ring.IsWorkersFault(failure, _nextStep))
            {
                await _ring.DropAsync(failure, cancellationToken);
            }
        }
    }

    /// <summary>Asks every worker to forget the job (best effort, short deadline), then closes the channels.</summary>
    public void Dispose() => _ring.Dispose();

    private async Task<ShardResult> EvaluateOnRingAsync(DataSplit split, Dataset data, CancellationToken cancellationToken)
    {
        // The trainer plans no step ahead of an evaluation; one whose headers went out anyway is not run.
        GiveUpAhead();
        await _ring.EnsurePreparedAsync(_nextStep, cancellationToken);
        // The trainer changes the master after every step and may restore other parameters (early stopping), so
        // the workers get the current ones before every evaluation; the next step sends them again.
        (_heldStep, _heldUpdate) = (-1, null);
        await StepAllAsync(_nextStep, StepHeader.Types.Update.Unspecified, ReadOnlyMemory<int>.Empty, 0, 0, null, null, "parameter sync", null, null,
            cancellationToken);

        int chunk = Trainer.EvaluationChunk;
        int chunks = (data.Count + chunk - 1) / chunk;
        var calls = new Task<EvaluateResponse>?[_ring.Workers.Count];
        using var round = new CallRound(cancellationToken);
        for (int rank = 0; rank < _ring.Workers.Count; rank++)
        {
            var (first, count) = Run(rank, chunks);
            if (count == 0)
            {
                continue;
            }
            var request = new EvaluateRequest
            {
                JobId = _jobId,
                Generation = _ring.Generation,
                Split = split == DataSplit.Validation ? EvaluateRequest.Types.Split.Validation : EvaluateRequest.Types.Split.Test,
                Start = first * chunk,
                End = Math.Min((first + count) * chunk, data.Count),
                Chunk = chunk,
            };
            calls[rank] = round.Add(_ring.Workers[rank].EvaluateAsync(request, _nextStep, _options.EvaluateTimeout, round.Token));
        }
        await round.WhenAllAsync();

        var sum = default(ShardResult);
        for (int rank = 0; rank < _ring.Workers.Count; rank++)
        {
            if (calls[rank] is not { } call)
            {
                continue;
            }
            var response = call.Result;
            int expected = Run(rank, chunks).Count;
            if (response.Chunks.Count != expected)
            {
                throw new WorkerFailedException(_ring.Workers[rank].Endpoint.Id, rank, _nextStep, "evaluate",
                    $"it answered {response.Chunks.Count} chunk outcomes for its {expected} chunks");
            }
            foreach (var outcome in response.Chunks)
            {
                sum += new ShardResult(outcome.LossSum, outcome.Correct, outcome.Samples);
            }
        }
        return sum;
    }

    /// <summary>Checks the workers' results of a step, marks non-finite sums and adds the shard results in shard order.</summary>
    private ShardResult Collect(long step, int shards, StepGradient gradient)
    {
        if (_outcomes.Place(_stepResults, _assignment, shards) is { } fault)
        {
            throw new WorkerFailedException(_ring.Workers[fault.Rank].Endpoint.Id, fault.Rank, step, "step", fault.Reason);
        }
        for (int rank = 0; rank < _ring.Workers.Count; rank++)
        {
            var result = _stepResults[rank];
            // Each worker reports its own lowest offending index; marking them all keeps the lowest, as the
            // local sums do (gradient sums first in the flat vector, buffer changes after).
            if (result.FirstNonFiniteIndex >= 0)
            {
                long index = result.FirstNonFiniteIndex;
                string where;
                gradient.MarkNonFinite(index);
                where = index < gradient.Gradient.Length
                    ? _updated.DescribeParameter((int)index)
                    : $"buffer element {index - gradient.Gradient.Length}";
                // Gradient health: which worker, which micro-shard of the batch and which layer held the NaN or infinity.
                string shard = result.NonFiniteShard >= 0 ? $"micro-shard {result.NonFiniteShard}" : "an unknown micro-shard";
                _onEvent($"Step {step + 1}: worker {_ring.Workers[rank].Endpoint.Id} (rank {rank}) found NaN or infinity in {shard}, first at {where}");
            }
        }
        return _outcomes.Sum(shards);
    }

    /// <summary>
    /// One Step call per worker at once, with the master's current parameters, or with <paramref name="segmentUpdate"/> for
    /// the workers to bring the segments they hold to them; with <paramref name="shards"/> = 0 (and no
    /// <paramref name="gradient"/>) the calls only distribute the parameters. Results land in <see cref="_stepResults"/>
    /// by rank.
    /// </summary>
    /// <remarks>
    /// <paramref name="sent"/>: the headers went out with the last step's (with its split of the shards and its
    /// deadline, which their ring timeout came from), and the calls only read the answers. <paramref name="following"/>:
    /// the next step's headers go out right behind these (<see cref="_ahead"/>).
    /// </remarks>
    private async Task StepAllAsync(long step, StepHeader.Types.Update update, ReadOnlyMemory<int> batch, int samples, int shards,
        StepGradient? gradient, SegmentUpdate? segmentUpdate, string phase, AheadStep? sent, FollowingStep? following,
        CancellationToken cancellationToken)
    {
        var state = SentState;
        if (segmentUpdate is null)
        {
            FlatVectors.CopyParameters(_parameters, _stores);
        }
        var deadline = sent?.Deadline ?? _deadlines.Current;
        // Half the step's deadline for one ring piece: a silent peer is named by its neighbour before the
        // coordinator's own deadline ends every call at once.
        int ringTimeoutMs = (int)Math.Max(1, deadline.TotalMilliseconds / 2);
        string[] ids = [.. _ring.Workers.Select(worker => worker.Endpoint.Id)];
        _assignment = sent?.Split ?? _balancer.Split(ids, shards);
        using var round = new CallRound(cancellationToken);
        var calls = new Task<StepResult>[_ring.Workers.Count];
        if (_stepResults.Length != calls.Length)
        {
            _stepResults = new StepResult[calls.Length];
        }
        (int First, int Count)[]? followingSplit = null;
        StepHeader[]? followingHeaders = null;
        var followingSpan = default(ActivityContext);
        if (following is not null)
        {
            followingSplit = _balancer.Split(ids, MicroShards.Count(following.Batch.Length, _shardSize));
            followingHeaders = new StepHeader[_ring.Workers.Count];
            // The next step's span begins with its headers; the trainer takes it up when it runs that step.
            followingSpan = following.StartSpan()?.Context ?? default;
            _ahead = new AheadStep(step + 1, _ring.Generation, following.Batch, followingSplit, followingHeaders, following.Update, deadline);
        }
        for (int rank = 0; rank < _ring.Workers.Count; rank++)
        {
            // Headers sent ahead were built and written with the last step's; the call only reads the answer.
            var header = sent?.Headers[rank] ?? Header(step, update, batch, samples, rank, _assignment, _upcoming);
            IReadOnlyList<SegmentSync.Part> pieces = [];
            if (sent is null)
            {
                header.RingTimeoutMs = ringTimeoutMs;
                if (segmentUpdate is not null)
                {
                    header.SegmentUpdate = segmentUpdate;
                }
                else
                {
                    header.OptimizerState = state is not null;
                    pieces = SegmentSync.Parts(_parameters, state, _ring.Workers.Count, rank);
                }
            }
            StepHeader? next = null;
            if (following is not null)
            {
                next = Header(step + 1, update, following.Batch, following.Batch.Length, rank, followingSplit!, following.AfterIt);
                next.RingTimeoutMs = ringTimeoutMs;
                next.SegmentUpdate = following.Update;
                followingHeaders![rank] = next;
            }
            var worker = _ring.Workers[rank];
            // Each call on its own thread-pool task: serializing the parameter pieces should not hold back the others.
            calls[rank] = round.Add(Task.Run(() => worker.StepAsync(header, pieces, gradient,
                _ring.Workers.Count, phase, deadline, next, followingSpan, round.Token), round.Token));
        }
        await round.WhenAllAsync();
        for (int rank = 0; rank < _ring.Workers.Count; rank++)
        {
            _stepResults[rank] = calls[rank].Result;
        }
    }

    /// <summary>
    /// The step after <paramref name="step"/>, whose headers go out right behind this step's when the trainer runs it
    /// right after this step's update and that update is known before this step is computed: an ordinary job without
    /// global-norm clipping, whose workers hold their segments' state after this step. The headers carry the update
    /// the master makes when the gradient is finite (applied, at the plan's learning rate, unclipped); the next step
    /// checks the master's own update (<see cref="Updated"/>) against it, and a step whose headers carry another (a
    /// non-finite gradient, skipped) is given up and run again with the parameters (<see cref="TakeAhead"/>). Null
    /// otherwise.
    /// </summary>
    private FollowingStep? Following(long step, StepPlan plan, SegmentUpdate? segmentUpdate, int shards)
    {
        if (_generator is not null || _optimizer is null || _clipsByGlobalNorm || shards == 0 || plan.Following.IsEmpty
            || (segmentUpdate is null && SentState is null))
        {
            return null;
        }
        var update = new SegmentUpdate
        {
            Step = step,
            Applied = true,
            LearningRate = plan.LearningRate,
            ClipScale = 1f,
            OptimizerStep = _optimizer.StepCount + 1,
        };
        return new FollowingStep(plan.Following, plan.AfterFollowing, update, plan.StartFollowingSpan);
    }

    /// <summary>
    /// The step whose headers went out with the last one, when it is <paramref name="step"/> as asked for now (its
    /// batch, the update the master made, the same prepared generation); headers sent for anything else are given up
    /// (<see cref="GiveUpAhead"/>).
    /// </summary>
    private AheadStep? TakeAhead(long step, StepHeader.Types.Update update, ReadOnlyMemory<int> batch)
    {
        if (_ahead is { } ahead && ahead.Step == step && update == StepHeader.Types.Update.Unspecified && _ring.Prepared
            && ahead.Generation == _ring.Generation && batch.Span.SequenceEqual(ahead.Batch.Span)
            && SegmentUpdateFor(step) is { } held && held.Equals(ahead.Update))
        {
            _ahead = null;
            return ahead;
        }
        GiveUpAhead();
        return null;
    }

    /// <summary>Gives up the step sent ahead, if any: its calls are dropped, and the next step prepares a new generation and sends the parameters.</summary>
    private void GiveUpAhead()
    {
        if (_ahead is null)
        {
            return;
        }
        _ahead = null;
        foreach (var worker in _ring.Workers)
        {
            worker.GiveUpAhead();
        }
        _ring.Renew();
        (_heldStep, _heldUpdate) = (-1, null);
    }

    // The optimizer whose state goes with the parameter pieces: a GAN job's workers hold no optimizer; an ordinary job's
    // get its state once the trainer has named it.
    private Optimizer? SentState => _generator is null ? _optimizer : null;

    // Feeds the workers' compute times of the step just collected to the balancer; names chronic stragglers.
    private void Balance()
    {
        var ids = _ring.Workers.Select(worker => worker.Endpoint.Id).ToArray();
        // The samples each worker computed in its compute time, taken-over shards included.
        var samples = _outcomes.SamplesByRank;
        var seconds = _stepResults.Select(result => result.ComputeSeconds).ToArray();
        foreach (string message in _balancer.Observe(ids, samples, seconds))
        {
            _onEvent(message);
        }
        for (int rank = 0; rank < ids.Length; rank++)
        {
            TrainingMetrics.RecordWorkerCompute(_jobId, ids[rank], seconds[rank]);
            if (_balancer.RateOf(ids[rank]) is { } rate)
            {
                TrainingMetrics.RecordSamplesPerSecond(_jobId, ids[rank], rate);
            }
        }
    }

    // A generator update's shards are noise vectors: lengths and indices, no sample ids. upcoming: the batch after this one.
    private StepHeader Header(long step, StepHeader.Types.Update update, ReadOnlyMemory<int> batch, int samples, int rank,
        (int First, int Count)[] assignment, ReadOnlyMemory<int> upcoming)
    {
        var header = new StepHeader { JobId = _jobId, Generation = _ring.Generation, Step = step, Update = update, BatchSize = samples };
        var (first, count) = assignment[rank];
        if (count == 0)
        {
            return header;
        }
        if (!batch.IsEmpty)
        {
            int start = first * _shardSize;
            int end = Math.Min((first + count) * _shardSize, batch.Length);
            header.SampleIds.AddRange(batch.Span[start..end].ToArray());
            // The read-ahead hint is this split applied to the next batch. The coordinator sends it, rather than each worker
            // working out its next ids, because only the coordinator knows the split: the balancer moves it by measured speed
            // after every step and membership may change it, so it is a guess that a worker checks against the next header
            // sample by sample (what it did not read ahead it reads then); the workers need not repeat the trainer's sampling.
            int nextEnd = Math.Min(end, upcoming.Length);
            if (start < nextEnd)
            {
                header.NextSampleIds.AddRange(upcoming.Span[start..nextEnd].ToArray());
            }
        }
        for (int k = 0; k < count; k++)
        {
            header.ShardIndices.Add(first + k);
            header.ShardLengths.Add(Math.Min(_shardSize, samples - (first + k) * _shardSize));
        }
        return header;
    }

    /// <summary>The step after the current one: its batch, the batch after it (read-ahead hint), the update its headers carry.</summary>
    private sealed record FollowingStep(ReadOnlyMemory<int> Batch, ReadOnlyMemory<int> AfterIt, SegmentUpdate Update, Func<Activity?> StartSpan);

    /// <summary>Rank <paramref name="rank"/>'s contiguous run of <paramref name="items"/> split evenly over the ring.</summary>
    private (int First, int Count) Run(int rank, int items)
    {
        int first = (int)((long)items * rank / _ring.Workers.Count);
        int next = (int)((long)items * (rank + 1) / _ring.Workers.Count);
        return (first, next - first);
    }
}
