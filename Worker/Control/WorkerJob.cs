using System.Diagnostics;
using System.Runtime.InteropServices;
using DistributedTrainer.ClusterApi;
using DistributedTrainer.Data;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Losses;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using DistributedTrainer.Training.Adversarial;
using DistributedTrainer.Training.Collective;
using DistributedTrainer.Worker.Collective;
using DistributedTrainer.Worker.Faults;
using Grpc.Core;

namespace DistributedTrainer.Worker.Control;

/// <summary>
/// A job as one worker holds it: its data (loaded once), the model, the micro-shard engines and evaluator, the flat
/// parameter and gradient vectors (allocated once, so memory does not grow with steps) and the ring link of the
/// current generation. Steps and evaluations take turns. A GAN job holds its generator and discriminator and an
/// <see cref="AdversarialShardRunner"/> instead of the model, runner and evaluator; each step updates one of them.
/// </summary>
/// <remarks>
/// Errors: <see cref="ArgumentException"/> and <see cref="InvalidDataException"/> for a malformed request,
/// <see cref="InvalidOperationException"/> for a request that does not fit the job's state (wrong generation,
/// broken ring), <see cref="RingException"/> for a peer that failed; the service maps them to a status.
/// </remarks>
internal sealed class WorkerJob : IAsyncDisposable
{
    private readonly CollectiveService _collective;
    private readonly FaultDrill _faults;
    private readonly string? _token;
    private readonly LoadedData _data;
    // The job's networks, whose parameter vectors the flat vector holds one after another: the model, or a GAN's
    // generator and discriminator.
    private readonly Model[] _models;
    private readonly ParameterStore[] _stores;
    // An ordinary job's engines; null for a GAN job.
    private readonly IShardRunner? _runner;
    private readonly Evaluator? _evaluator;
    // A GAN job's engine; null for an ordinary job.
    private readonly AdversarialShardRunner? _adversarial;
    // Null when the training data is in memory (arrays), or for a GAN job: nothing to read ahead.
    private readonly SampleReadAhead? _readAhead;
    // The sums of the model, or a GAN's discriminator, and (GAN jobs) the generator's.
    private readonly FixedPointAccumulator _gradients;
    private readonly FixedPointAccumulator _buffers;
    private readonly FixedPointAccumulator? _generatorGradients;
    private readonly FixedPointAccumulator? _generatorBuffers;
    private readonly float[] _parameters;
    private readonly long[] _flatGradients;
    // The compute=US stand-in's gradient sums (StandInGradients), made at its first step.
    private long[]? _standInSums;
    // This rank's segment of the reduced sums divided by the batch size, at the segment's flat indices (the rest unused).
    private readonly float[] _meanGradients;
    // An ordinary job's update of its segment (StepHeader.segment_update) with the segment's optimizer state, made for each
    // generation's segment; null before the first generation and for a GAN job.
    private SegmentUpdater? _segmentUpdater;
    private readonly JobSpec _spec;
    // The step whose mean gradient _meanGradients holds, with _parameters' segment as that step used it, in this generation;
    // -1 when none (before the first step, after a parameter sync, a failed step or a new generation).
    private long _heldStep = -1;
    // Whether the segment's optimizer state came with the parameters of this generation and has followed every update since.
    private bool _hasOptimizerState;
    // The answer's message, reused: a stream write serializes it before it returns.
    private readonly OutgoingStepResponse _response = new();
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly int _shardSize;
    private int[] _ids = [];
    private int[] _nextIds = [];
    private int[] _lengths = [];
    private int[] _indices = [];
    private ShardResult[] _results = [];
    private RingLink? _link;
    // The machine's shared shards of this job (--shard-board); null when the worker computes only its own.
    private readonly ShardBoard? _board;
    // This step's shards as the board hands them to this worker's engines; null when they are not on the board.
    private IShardQueue? _ownShards;
    // How many of this step's own shards this worker computed (the first ones); the rest were taken over elsewhere.
    private int _ownComputed;
    // The outcomes of the shards this worker took over from co-located workers in this step, and the first of them
    // that turned its sums non-finite (-1: none did).
    private readonly List<ShardOutcome> _takenOver = [];
    private int _takenOverNonFinite = -1;
    private int[] _takenOverIds = [];
    private bool _hasParameters;
    private bool _stopped;

    private WorkerJob(string jobId, CollectiveService collective, FaultDrill faults, string? token, JobSpec spec, LoadedData data, int threads,
        ShardRunnerFactory runners, Func<string, ShardBoard?>? openBoard)
    {
        JobId = jobId;
        _collective = collective;
        _faults = faults;
        _token = token;
        _data = data;
        _shardSize = MicroShards.SizeOf(spec);
        _spec = spec;
        if (spec.Adversarial is { } gan)
        {
            // As AdversarialTrainer builds them; the parameters come with every step. The shards run one after another
            // on the CPU engine, its GEMMs on the worker's compute threads, as in trainctl train (no device runner).
            _models = [GanNetworks.BuildGenerator(gan, _shardSize)];
            try
            {
                _models = [_models[0], GanNetworks.BuildDiscriminator(gan, data.FeatureCount, _shardSize)];
                _adversarial = new AdversarialShardRunner(spec, _models[0], _models[1], data.Train);
            }
            catch
            {
                DisposeModels();
                throw;
            }
        }
        else
        {
            var loss = LossFactory.Create(spec.Loss.Kind);
            _models = [ModelFactory.Build(spec.Model, data.FeatureCount, Math.Max(_shardSize, Trainer.EvaluationChunk))];
            _readAhead = SampleReadAhead.For(data.Train);
            try
            {
                _runner = runners(spec.Model, _models[0], loss, _readAhead?.Data ?? data.Train, spec.Seed, _shardSize, threads);
                _evaluator = new Evaluator(_models[0], loss, data.FeatureCount, Trainer.EvaluationChunk);
                if (spec.Transfer is { Freeze.Count: > 0 } transfer)
                {
                    // The coordinator's master model freezes these layers (TransferLearning); the segment's optimizer must skip them too.
                    _models[0].Freeze(transfer.Freeze);
                }
            }
            catch
            {
                _runner?.Dispose();
                DisposeModels();
                throw;
            }
        }
        // Another worker can compute this worker's shards when both hold every sample in memory (not only the rows read
        // ahead from shard files) and compute on the CPU kernels, whose engines take a step's shards one at a time.
        if (openBoard is not null && _runner is MicroShardRunner && _readAhead is null && faults.Faults.ComputeWait is null)
        {
            _board = openBoard(jobId);
            _takenOverIds = new int[_shardSize];
        }
        _stores = [.. _models.Select(model => model.Store)];
        _parameters = new float[FlatVectors.ParameterLength(_stores)];
        _flatGradients = new long[_stores.Max(FlatVectors.GradientLength)];
        _meanGradients = new float[_flatGradients.Length];
        // Each network's sums lie in the flat vector the ring reduces, as FlatVectors lays it out (gradients, then buffer
        // changes), so a step reduces them where they were added. A GAN's two networks share it: a step updates one.
        (_gradients, _buffers) = FlatVectors.GradientSums(_flatGradients, _models[^1].Store);
        if (_adversarial is not null)
        {
            (_generatorGradients, _generatorBuffers) = FlatVectors.GradientSums(_flatGradients, _models[0].Store);
        }
    }

    public string JobId { get; }

    public int Rank { get; private set; }

    public int WorldSize { get; private set; }

    /// <summary>Cancelled once the job is stopped (<see cref="DisposeAsync"/>).</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>The generation of the current ring; 0 before the first <see cref="ConnectAsync"/>.</summary>
    public long Generation => _link?.Generation ?? 0;

    public int ParameterCount => _parameters.Length;

    /// <summary>Length of the gradient vector of the model, or of a GAN's discriminator (its critic updates).</summary>
    public int GradientCount => FlatVectors.GradientLength(_models[^1].Store);

    /// <summary>Length of a GAN's generator updates' gradient vector; 0 for other jobs.</summary>
    public int GeneratorGradientCount => _adversarial is null ? 0 : FlatVectors.GradientLength(_models[0].Store);

    /// <summary>
    /// Loads the spec's data and builds the model and the micro-shard runner (<paramref name="runners"/>: SIMD or a device);
    /// steps and ring links inject <paramref name="faults"/>,
    /// and ring links present <paramref name="token"/> (the workers' bearer token; null for none).
    /// </summary>
    /// <exception cref="JobInputException">The spec or its data is invalid.</exception>
    /// <param name="openBoard">Opens the job's shard board shared with the workers on this machine; null, or a board of
    /// null, when there is none.</param>
    public static WorkerJob Create(string jobId, JobSpec spec, int threads, ShardRunnerFactory runners, CollectiveService collective,
        FaultDrill faults, string? token, Func<string, ShardBoard?>? openBoard = null)
    {
        var input = JobInput.FromSpec(spec);
        return new WorkerJob(jobId, collective, faults, token, input.Spec, input.Data, threads, runners, openBoard);
    }

    /// <summary>
    /// Joins generation <paramref name="generation"/> of the ring as <paramref name="rank"/>: closes the link of the
    /// previous generation and subscribes to the previous rank's pieces. Data and engines stay.
    /// </summary>
    public async Task ConnectAsync(int rank, IReadOnlyList<Uri> ring, long generation, CancellationToken cancellationToken)
    {
        if (generation < Generation)
        {
            throw new InvalidOperationException($"Invalid generation: {generation} (job {JobId} is already at generation {Generation})");
        }
        await _turn.WaitAsync(cancellationToken);
        try
        {
            if (_stopped)
            {
                throw new InvalidOperationException($"Job {JobId} was stopped on this worker");
            }
            if (_link is not null)
            {
                await _link.DisposeAsync();
                _link = null;
            }
            _link = RingLink.Open(_collective, JobId, generation, rank, ring, _faults.Faults, _token);
            (Rank, WorldSize) = (rank, ring.Count);
            // A new ring cuts new segments: the coordinator sends parameters and state again.
            (_heldStep, _hasOptimizerState) = (-1, false);
            if (_adversarial is null)
            {
                var (start, length) = RingSegments.Range(_parameters.Length, WorldSize, Rank);
                _segmentUpdater = new SegmentUpdater(_models[0].Store, _spec, start, length);
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>
    /// One step (cluster.proto): receives this rank's parameter segment (or updates the one it holds), all-gathers the
    /// parameters, computes the header's micro-shards, reduce-scatters the gradients and answers with this rank's
    /// segment and the results.
    /// </summary>
    public async Task StepAsync(StepHeader header, IAsyncStreamReader<IncomingStepRequest> requests,
        IServerStreamWriter<OutgoingStepResponse> responses, CancellationToken cancellationToken)
    {
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        var token = call.Token;
        await _turn.WaitAsync(token);
        using var span = StartStepSpan(header);
        try
        {
            var link = CurrentLink(header.Generation);
            int shards = CheckHeader(header);
            // Published before the parameters arrive, so that a worker done early can take over shards of one that starts late.
            _ownShards = shards > 0 && header.Update == StepHeader.Types.Update.Unspecified
                ? _board?.Publish(Rank, link.Generation, header.Step, _ids.AsSpan(0, header.SampleIds.Count), _lengths.AsSpan(0, shards), _indices.AsSpan(0, shards))
                : null;
            var (gradients, buffers) = Sums(header.Update);
            var flatGradients = _flatGradients.AsMemory(0, gradients.Length + buffers.Length);
            var ring = link.Ring(TimeSpan.FromMilliseconds(header.RingTimeoutMs));
            if (_readAhead is not null && shards > 0)
            {
                // This step's samples read during the last one go in use, and the next step's start to be read now, so
                // that the read overlaps this step's parameters, collectives and computation. A parameter sync (no
                // shards) leaves both alone.
                await _readAhead.UseAsync(token);
                _readAhead.Prefetch(_nextIds.AsSpan(0, header.NextSampleIds.Count));
            }
            long held = _heldStep;
            // Whatever happens below, the segment's update of this step is held only once the step succeeds.
            _heldStep = -1;
            if (header.SegmentUpdate is { } update)
            {
                UpdateSegment(update, held);
            }
            else
            {
                _hasOptimizerState = false;
                await ReceiveParametersAsync(requests, header.OptimizerState, token);
                _hasOptimizerState = header.OptimizerState;
            }
            try
            {
                using (StartRingSpan("all-gather", ring, _parameters.Length * sizeof(float)))
                {
                    await ring.AllGatherAsync<float>(_parameters, header.Step, token);
                }
                FlatVectors.LoadParameters(_stores, _parameters);
                _hasParameters = true;
                if (header.BatchSize == 0)
                {
                    // A parameter sync (before an evaluation): nothing to compute, reduce or return.
                    _faults.ExitIfDue(header.Step);
                    await WriteResultAsync(responses, new StepResult { FirstNonFiniteIndex = -1, NonFiniteShard = -1 }, token);
                    return;
                }
                TrainingMetrics.RecordParameterSegment(JobId, header.SegmentUpdate is not null);
                gradients.Clear();
                buffers.Clear();
                var watch = Stopwatch.StartNew();
                using (var compute = TrainingDiagnostics.Source.StartActivity(TrainingSpans.WorkerCompute))
                {
                    compute?.SetTag(TrainingAttributes.WorkerRank, ring.Rank);
                    compute?.SetTag(TrainingAttributes.MicroShards, shards);
                    Compute(header, shards, gradients, buffers);
                    if (_takenOver.Count > 0 || _ownComputed < shards)
                    {
                        compute?.SetTag(TrainingAttributes.MicroShardsComputed, _ownComputed);
                        compute?.SetTag(TrainingAttributes.MicroShardsTakenOver, _takenOver.Count);
                        TrainingMetrics.RecordShardsTakenOver(JobId, _takenOver.Count);
                    }
                    await _faults.StretchAsync(watch.Elapsed, token);
                }
                // A drilled slowdown or stand-in wait counts as computation: the coordinator balances shards by this time.
                double computeSeconds = watch.Elapsed.TotalSeconds;
                _faults.ExitIfDue(header.Step);
                long reduceScatterBytes;
                using (StartRingSpan("reduce-scatter", ring, flatGradients.Length * sizeof(long)))
                {
                    reduceScatterBytes = await ring.ReduceScatterAsync(flatGradients, header.Step, token);
                }
                RecordRingTraffic(ring, reduceScatterBytes);
                await SendMeanGradientsAsync(responses, flatGradients, header.BatchSize, token);
                await WriteResultAsync(responses, Result(header, computeSeconds, gradients, buffers), token);
                _heldStep = header.Step;
            }
            catch
            {
                // A collective left half way may leave stale pieces in the inbox or a broken stream.
                link.Broken = true;
                throw;
            }
        }
        finally
        {
            ReleaseReadAhead();
            _turn.Release();
        }
    }

    /// <summary>The sums <paramref name="update"/> fills: a GAN step's updated network's, or the model's.</summary>
    private (FixedPointAccumulator Gradients, FixedPointAccumulator Buffers) Sums(StepHeader.Types.Update update) => update switch
    {
        StepHeader.Types.Update.Generator when _adversarial is not null => (_generatorGradients!, _generatorBuffers!),
        StepHeader.Types.Update.Critic when _adversarial is not null => (_gradients, _buffers),
        StepHeader.Types.Update.Unspecified when _adversarial is null => (_gradients, _buffers),
        _ => throw new ArgumentException(_adversarial is null
            ? $"Invalid update: {update} (job {JobId} is not a GAN job; its steps leave update unset)"
            : $"Invalid update: {update} (job {JobId} is a GAN job; every step is a CRITIC or GENERATOR update)"),
    };

    private void Compute(StepHeader header, int shards, FixedPointAccumulator gradients, FixedPointAccumulator buffers)
    {
        var lengths = _lengths.AsSpan(0, shards);
        var ids = _ids.AsSpan(0, header.SampleIds.Count);
        (_ownComputed, _takenOverNonFinite) = (shards, -1);
        _takenOver.Clear();
        if (_faults.Faults.ComputeWait is { } wait)
        {
            // The scaling benchmark's stand-in (compute=US): fixed gradient sums shaped like a step's, every sample scored
            // with zero loss.
            if (_standInSums?.Length != gradients.Length)
            {
                _standInSums = StandInGradients.Create(gradients.Length, seed: Rank);
            }
            _standInSums.CopyTo(gradients.Values);
            for (int k = 0; k < shards; k++)
            {
                _results[k] = new ShardResult(0, 0, lengths[k]);
            }
            FaultDrill.StandInForComputation(wait);
            return;
        }
        if (_ownShards is not null)
        {
            var runner = (MicroShardRunner)_runner!;
            _ownComputed = runner.ComputeShardsFrom(_ownShards, header.Step, ids, lengths, gradients, buffers, _results);
            TakeOverShards(runner, header.Step, gradients, buffers);
        }
        else if (_adversarial is null)
        {
            _runner!.ComputeShards(header.Step, ids, lengths, gradients, buffers, _results);
        }
        else if (header.Update == StepHeader.Types.Update.Critic)
        {
            _adversarial.Critic(header.Step, ids, lengths, _indices.AsSpan(0, shards), gradients, buffers, _results);
        }
        else
        {
            _adversarial.Generator(header.Step, lengths, _indices.AsSpan(0, shards), gradients, buffers, _results);
        }
    }

    /// <summary>
    /// Computes the shards the other workers on this machine have not started in this step, from the next rank on, into
    /// this worker's sums: its own are done, and theirs would otherwise keep the whole ring waiting.
    /// </summary>
    private void TakeOverShards(MicroShardRunner runner, long step, FixedPointAccumulator gradients, FixedPointAccumulator buffers)
    {
        int trainCount = _data.Train.Count;
        for (int offset = 1; offset < WorldSize; offset++)
        {
            int rank = (Rank + offset) % WorldSize;
            while (_board!.TryTakeOver(rank, Generation, step, _shardSize, trainCount, _takenOverIds, out int length, out int index))
            {
                bool finite = gradients.IsFinite && buffers.IsFinite;
                var result = runner.ComputeAnother(step, _takenOverIds.AsSpan(0, length), gradients, buffers);
                if (finite && !(gradients.IsFinite && buffers.IsFinite))
                {
                    _takenOverNonFinite = index;
                }
                _takenOver.Add(new ShardOutcome { ShardIndex = index, LossSum = result.LossSum, Correct = result.Correct, Samples = result.Samples });
            }
        }
    }

    // Frees the step's samples read ahead (gathers are done) and counts how many of its gathered samples they held.
    private void ReleaseReadAhead()
    {
        if (_readAhead is null)
        {
            return;
        }
        var (hits, misses) = _readAhead.Release();
        if (hits + misses > 0)
        {
            TrainingMetrics.RecordPrefetch(JobId, hits, misses);
        }
    }

    // The all-gather sends (size - 1) segments of the parameters to the next rank; the reduce-scatter's pieces are packed,
    // so it says what it sent.
    private void RecordRingTraffic(RingAllReduce ring, long reduceScatterBytes)
    {
        int size = ring.Size;
        if (size < 2)
        {
            return;
        }
        long bytes = (long)_parameters.Length * sizeof(float) * (size - 1) / size + reduceScatterBytes;
        TrainingMetrics.RecordRingBytes(JobId, ring.Rank, (ring.Rank + 1) % size, bytes);
    }

    // The Step stream outlives the step, so the step's span is started here, under the coordinator's span of it.
    private Activity? StartStepSpan(StepHeader header)
    {
        if (!TrainingDiagnostics.Source.HasListeners())
        {
            // Nothing records it: no need to parse the parent on every step.
            return null;
        }
        ActivityContext.TryParse(header.TraceParent, null, isRemote: true, out var parent);
        var span = TrainingDiagnostics.Source.StartActivity(TrainingSpans.WorkerStep, ActivityKind.Server, parent);
        span?.SetTag(TrainingAttributes.JobId, JobId);
        span?.SetTag(TrainingAttributes.WorkerRank, Rank);
        return span;
    }

    // The ring stream outlives the step, so its spans are started here, in the step's flow, to join the step's trace.
    private static Activity? StartRingSpan(string phase, RingAllReduce ring, long vectorBytes)
    {
        var span = TrainingDiagnostics.Source.StartActivity(TrainingSpans.Ring);
        span?.SetTag(TrainingAttributes.RingPhase, phase);
        span?.SetTag(TrainingAttributes.WorkerRank, ring.Rank);
        span?.SetTag(TrainingAttributes.Bytes, vectorBytes);
        return span;
    }

    /// <summary>One outcome per chunk of [start, end) of the split, with the parameters of the last step.</summary>
    public async Task<EvaluateResponse> EvaluateAsync(EvaluateRequest request, CancellationToken cancellationToken)
    {
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        await _turn.WaitAsync(call.Token);
        try
        {
            CheckGeneration(request.Generation);
            if (_evaluator is null)
            {
                throw new ArgumentException($"Invalid request: job {JobId} is a GAN job, which has no evaluation");
            }
            if (!_hasParameters)
            {
                throw new InvalidOperationException($"Job {JobId} has no parameters yet: send a Step (a header without shards syncs them) before Evaluate");
            }
            Dataset data = request.Split switch
            {
                EvaluateRequest.Types.Split.Validation => _data.Validation
                    ?? throw new ArgumentException($"Invalid split: VALIDATION (job {JobId} holds no validation split)"),
                EvaluateRequest.Types.Split.Test => _data.Test,
                _ => throw new ArgumentException($"Invalid split: {request.Split} (must be VALIDATION or TEST)"),
            };
            if (request.Chunk != Trainer.EvaluationChunk)
            {
                throw new ArgumentException($"Invalid chunk: {request.Chunk} (this worker evaluates in chunks of {Trainer.EvaluationChunk})");
            }
            if (request.Start < 0 || request.End < request.Start || request.End > data.Count)
            {
                throw new ArgumentException($"Invalid start/end: [{request.Start}, {request.End}) (must lie within the split's {data.Count} samples)");
            }
            var response = new EvaluateResponse();
            int index = 0;
            for (int first = request.Start; first < request.End; first += request.Chunk, index++)
            {
                call.Token.ThrowIfCancellationRequested();
                var result = _evaluator.Evaluate(data, first, Math.Min(first + request.Chunk, request.End));
                response.Chunks.Add(new ShardOutcome { ShardIndex = index, LossSum = result.LossSum, Correct = result.Correct, Samples = result.Samples });
            }
            return response;
        }
        finally
        {
            _turn.Release();
        }
    }

    private RingLink CurrentLink(long generation)
    {
        CheckGeneration(generation);
        // CheckGeneration refuses a stopped job: stopping drops the link.
        var link = _link!;
        if (link.Broken)
        {
            throw new InvalidOperationException(
                $"Job {JobId}'s ring of generation {generation} broke in an earlier step; prepare the job again with a new generation");
        }
        return link;
    }

    private void CheckGeneration(long generation)
    {
        if (_stopped)
        {
            throw new InvalidOperationException($"Job {JobId} was stopped on this worker");
        }
        if (_link is null || generation != _link.Generation)
        {
            throw new InvalidOperationException($"Invalid generation: {generation} (job {JobId} is prepared at generation {Generation})");
        }
    }

    /// <summary>Checks the header's shards against the training split; copies them into the reused buffers.</summary>
    private int CheckHeader(StepHeader header)
    {
        if (header.Step < 0)
        {
            throw new ArgumentException($"Invalid step: {header.Step} (must be >= 0)");
        }
        if (header.RingTimeoutMs < 0)
        {
            throw new ArgumentException($"Invalid ring_timeout_ms: {header.RingTimeoutMs} (must be >= 0; 0 takes the default)");
        }
        int shards = header.ShardLengths.Count;
        if (header.ShardIndices.Count != shards)
        {
            throw new ArgumentException($"Invalid shard_indices: {header.ShardIndices.Count} entries for {shards} shard_lengths");
        }
        int samples = header.SampleIds.Count;
        if (_ids.Length < samples)
        {
            _ids = new int[samples];
        }
        if (_lengths.Length < shards)
        {
            _lengths = new int[shards];
            _indices = new int[shards];
            _results = new ShardResult[shards];
        }
        long covered = 0;
        for (int k = 0; k < shards; k++)
        {
            int length = header.ShardLengths[k];
            if (length < 1 || length > _shardSize)
            {
                throw new ArgumentException($"Invalid shard_lengths[{k}]: {length} (must be in [1, {_shardSize}], the job's micro_shard_size)");
            }
            if (header.ShardIndices[k] < 0)
            {
                throw new ArgumentException($"Invalid shard_indices[{k}]: {header.ShardIndices[k]} (must be >= 0)");
            }
            _lengths[k] = length;
            _indices[k] = header.ShardIndices[k];
            covered += length;
        }
        // A generator update's shards are noise vectors: it names no samples.
        long expected = header.Update == StepHeader.Types.Update.Generator ? 0 : covered;
        if (samples != expected)
        {
            throw new ArgumentException(expected == 0
                ? $"Invalid sample_ids: {samples} ids in a GENERATOR update (its shards are noise vectors; sample_ids must be empty)"
                : $"Invalid shard_lengths: they cover {covered} samples, sample_ids holds {samples}");
        }
        // The divisor of the reduced sums: the whole step's samples (or noise vectors), so at least this worker's.
        if (header.BatchSize < 0 || (shards > 0 && header.BatchSize < covered))
        {
            throw new ArgumentException(
                $"Invalid batch_size: {header.BatchSize} (must be at least the {covered} samples of this worker's shards; 0 only in a parameter sync)");
        }
        int trainCount = _data.Train.Count;
        for (int i = 0; i < samples; i++)
        {
            int id = header.SampleIds[i];
            if (id < 0 || id >= trainCount)
            {
                throw new ArgumentException($"Invalid sample_ids[{i}]: {id} (the training split holds samples [0, {trainCount}))");
            }
            _ids[i] = id;
        }
        int next = header.NextSampleIds.Count;
        if (_nextIds.Length < next)
        {
            _nextIds = new int[next];
        }
        for (int i = 0; i < next; i++)
        {
            int id = header.NextSampleIds[i];
            if (id < 0 || id >= trainCount)
            {
                throw new ArgumentException($"Invalid next_sample_ids[{i}]: {id} (the training split holds samples [0, {trainCount}))");
            }
            _nextIds[i] = id;
        }
        return shards;
    }

    /// <summary>
    /// Applies the coordinator's update of the step this worker answered last to the segment it holds (StepHeader.segment_update),
    /// so that the segment becomes what the coordinator's pieces would carry.
    /// </summary>
    private void UpdateSegment(SegmentUpdate update, long held)
    {
        if (_adversarial is not null)
        {
            throw new ArgumentException($"Invalid segment_update: job {JobId} is a GAN job, whose steps carry the parameters");
        }
        if (held < 0 || update.Step != held)
        {
            throw new InvalidOperationException(
                $"Invalid segment_update.step: {update.Step} (job {JobId} holds the mean gradient of {(held < 0 ? "no step" : $"step {held}")} in generation {Generation}; send the parameters)");
        }
        if (!_hasOptimizerState)
        {
            throw new InvalidOperationException(
                $"Job {JobId} holds no optimizer state of its segment in generation {Generation}: send the parameters with optimizer_state");
        }
        if (!update.Applied)
        {
            // The coordinator skipped that step (a non-finite gradient): nothing moves.
            return;
        }
        if (update.OptimizerStep < 1)
        {
            throw new ArgumentException($"Invalid segment_update.optimizer_step: {update.OptimizerStep} (must be >= 1)");
        }
        if (!float.IsFinite(update.LearningRate) || !(float.IsFinite(update.ClipScale) && update.ClipScale > 0f))
        {
            throw new ArgumentException(
                $"Invalid segment_update: learning_rate {update.LearningRate} and clip_scale {update.ClipScale} (must be finite, the scale > 0)");
        }
        _segmentUpdater!.Apply(_parameters, _meanGradients, update.LearningRate, update.ClipScale, update.OptimizerStep);
    }

    /// <summary>
    /// Copies the pieces of this rank's parameter segment and, with <paramref name="optimizerState"/>, of its segment of
    /// each optimizer state vector (<see cref="SegmentSync"/>); they must arrive in order and cover each part exactly.
    /// </summary>
    private async Task ReceiveParametersAsync(IAsyncStreamReader<IncomingStepRequest> requests, bool optimizerState, CancellationToken cancellationToken)
    {
        if (optimizerState && _adversarial is not null)
        {
            throw new ArgumentException($"Invalid optimizer_state: job {JobId} is a GAN job, whose workers hold no optimizer state");
        }
        var parts = SegmentSync.Parts(_parameters, optimizerState ? _segmentUpdater!.Optimizer : null, WorldSize, Rank);
        int part = 0;
        long covered = 0;
        int index = 0;
        // Exactly the parts' pieces: the stream stays open for the next step's header after them.
        while (part < parts.Count && await requests.MoveNext(cancellationToken))
        {
            using var piece = requests.Current;
            piece.ThrowIfMalformed();
            if (piece.Kind != StepRequest.KindOneofCase.Parameters)
            {
                throw new ArgumentException($"Invalid request {index + 1}: {piece.Kind} after the header (only parameter pieces may follow it)");
            }
            if (piece.Values.Length > RawElements.MaxPieceBytes)
            {
                throw new ArgumentException($"Invalid parameters[{index}].values: {piece.Values.Length} bytes (at most {RawElements.MaxPieceBytes} per piece)");
            }
            var (start, vector, first, length) = parts[part];
            if (piece.Offset != start + covered)
            {
                throw new ArgumentException(
                    $"Invalid parameters[{index}].offset: {piece.Offset} (expected {start + covered}: pieces cover rank {Rank}'s part [{start}, {start + length}) in order)");
            }
            int count = piece.Values.Length / sizeof(float);
            if (covered + count > length)
            {
                throw new ArgumentException(
                    $"Invalid parameters[{index}]: {count} elements at offset {piece.Offset} run past rank {Rank}'s part [{start}, {start + length})");
            }
            RawElements.CopyInto<float>(vector, first + covered, piece.Values, $"parameters[{index}].values");
            covered += count;
            if (covered == length)
            {
                (part, covered) = (part + 1, 0);
            }
            index++;
        }
        if (part < parts.Count)
        {
            var (start, _, _, length) = parts[part];
            throw new ArgumentException($"Invalid parameters: the pieces cover [{start}, {start + covered}) of rank {Rank}'s part [{start}, {start + length})");
        }
    }

    /// <summary>
    /// Answers with this rank's segment of the reduced sums divided by the step's batch size: the floats the
    /// coordinator's own averaging would give (<see cref="StepGradient"/>), in half the bytes of the sums.
    /// </summary>
    private async Task SendMeanGradientsAsync(IServerStreamWriter<OutgoingStepResponse> responses, ReadOnlyMemory<long> flatGradients,
        int batchSize, CancellationToken cancellationToken)
    {
        var (offset, length) = RingSegments.Range(flatGradients.Length, WorldSize, Rank);
        FixedPointAccumulator.ToFloats(flatGradients.Span.Slice(offset, length), _meanGradients.AsSpan(offset, length),
            StepGradient.MultiplierFor(batchSize));
        try
        {
            await RawElements.WritePiecesAsync<float>(_meanGradients.AsMemory(0, flatGradients.Length), offset, length,
                (start, values) => responses.WriteAsync(_response.Gradients(start, values), cancellationToken));
        }
        finally
        {
            _response.Clear();
        }
    }

    private async Task WriteResultAsync(IServerStreamWriter<OutgoingStepResponse> responses, StepResult result,
        CancellationToken cancellationToken)
    {
        try
        {
            await responses.WriteAsync(_response.Result(result), cancellationToken);
        }
        finally
        {
            _response.Clear();
        }
    }

    private StepResult Result(StepHeader header, double computeSeconds, FixedPointAccumulator gradients, FixedPointAccumulator buffers)
    {
        int firstNonFiniteShard = _runner?.FirstNonFiniteShard ?? _adversarial!.FirstNonFiniteShard;
        var result = new StepResult
        {
            // The lowest offending index in the flat vector: gradient sums come before buffer changes.
            FirstNonFiniteIndex = !gradients.IsFinite ? gradients.FirstNonFiniteIndex
                : !buffers.IsFinite ? gradients.Length + (long)buffers.FirstNonFiniteIndex
                : -1,
            NonFiniteShard = firstNonFiniteShard >= 0 ? header.ShardIndices[firstNonFiniteShard] : _takenOverNonFinite,
            ComputeSeconds = computeSeconds,
        };
        // The shards it computed: the first of its own (all of them, unless co-located workers took over the rest), then
        // those it took over.
        for (int k = 0; k < _ownComputed; k++)
        {
            var shard = _results[k];
            result.Shards.Add(new ShardOutcome { ShardIndex = header.ShardIndices[k], LossSum = shard.LossSum, Correct = shard.Correct, Samples = shard.Samples });
        }
        result.Shards.AddRange(_takenOver);
        return result;
    }

    private void DisposeModels()
    {
        foreach (var model in _models)
        {
            model.Dispose();
        }
    }

    /// <summary>Cancels a step or evaluation in flight, closes the ring link and frees the engines and data.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _turn.WaitAsync();
        try
        {
            if (_link is not null)
            {
                await _link.DisposeAsync();
                _link = null;
            }
            if (_readAhead is not null)
            {
                await _readAhead.DisposeAsync();
            }
            _runner?.Dispose();
            _board?.Dispose();
            _evaluator?.Dispose();
            _adversarial?.Dispose();
            DisposeModels();
        }
        finally
        {
            // _stopping stays undisposed: a call that took this job just before it stopped may still link to it.
            _stopped = true;
            _turn.Release();
        }
    }
}
