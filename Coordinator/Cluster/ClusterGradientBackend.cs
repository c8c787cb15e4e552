using DistributedTrainer.ClusterApi;
using DistributedTrainer.Data;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;

namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// Computes a job's micro-shards and evaluations on its workers (cluster.proto, CLUSTER.md): each step every worker
/// gets its contiguous run of micro-shards and its segment of the master parameters, the workers all-gather the
/// parameters and reduce-scatter the exact fixed-point gradient sums over their ring, and each answers with its
/// segment of the sums. Results are summed in shard order, so the <see cref="Trainer"/> above gets bitwise what
/// <see cref="LocalGradientBackend"/> gives.
/// </summary>
/// <remarks>
/// The workers are prepared (data loaded, ring linked, generation 1) on first use. Any failed or late call ends the
/// step with a <see cref="WorkerFailedException"/> and cancels the other workers' calls of that step; the backend
/// does not re-form the ring itself.
/// </remarks>
internal sealed class ClusterGradientBackend : IGradientBackend
{
    private const long Generation = 1;

    private readonly string _jobId;
    private readonly JobSpec _spec;
    private readonly LoadedData _data;
    private readonly Model _model;
    private readonly ClusterBackendOptions _options;
    private readonly Action<string> _onEvent;
    private readonly WorkerClient[] _workers;
    private readonly int _shardSize;
    private readonly float[] _parameters;
    private readonly StepResult[] _stepResults;
    private ShardResult[] _shardResults = [];
    private FixedPointAccumulator? _syncGradients;
    private FixedPointAccumulator? _syncBufferChanges;
    private bool _prepared;
    // Set once PrepareJob was sent: workers that did prepare are told to stop on dispose even if another one failed.
    private bool _stopOnDispose;
    // The step number the next collective uses: a parameter sync before an evaluation takes the step after the last one.
    private long _nextStep;

    /// <param name="jobId">The job; workers hold it under this id.</param>
    /// <param name="spec">The job's spec, with data paths the workers can read.</param>
    /// <param name="data">The job's data as loaded here (split sizes).</param>
    /// <param name="model">The master model; its parameters are read at every step.</param>
    /// <param name="workers">The ring, by rank.</param>
    /// <param name="options">Deadlines and the workers' token.</param>
    /// <param name="onEvent">Receives one line per notable event (the job's event log).</param>
    public ClusterGradientBackend(string jobId, JobSpec spec, LoadedData data, Model model,
        IReadOnlyList<WorkerEndpoint> workers, ClusterBackendOptions options, Action<string> onEvent)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(onEvent);
        if (workers.Count == 0)
        {
            throw new ArgumentException("Invalid workers: none (a cluster job needs at least one)", nameof(workers));
        }
        options.Validate();
        _jobId = jobId;
        _spec = spec;
        _data = data;
        _model = model;
        _options = options;
        _onEvent = onEvent;
        _shardSize = MicroShards.SizeOf(spec);
        _parameters = new float[FlatVectors.ParameterLength(model.Store)];
        _workers = [.. workers.Select((endpoint, rank) => new WorkerClient(endpoint, rank, options.Token))];
        _stepResults = new StepResult[_workers.Length];
    }

    public async ValueTask<ShardResult> ComputeAsync(long step, ReadOnlyMemory<int> batch, FixedPointAccumulator gradients,
        FixedPointAccumulator bufferChanges, CancellationToken cancellationToken)
    {
        await EnsurePreparedAsync(cancellationToken);
        int shards = MicroShards.Count(batch.Length, _shardSize);
        await StepAllAsync(step, batch, shards, gradients, bufferChanges, "step", cancellationToken);
        _nextStep = step + 1;

        if (_shardResults.Length < shards)
        {
            _shardResults = new ShardResult[shards];
        }
        for (int rank = 0; rank < _workers.Length; rank++)
        {
            var result = _stepResults[rank];
            var (first, count) = Run(rank, shards);
            if (result.Shards.Count != count)
            {
                throw new WorkerFailedException(_workers[rank].Endpoint.Id, rank, step, "step",
                    $"it reported {result.Shards.Count} shard outcomes for its {count} shards");
            }
            for (int k = 0; k < count; k++)
            {
                var outcome = result.Shards[k];
                if (outcome.ShardIndex != first + k)
                {
                    throw new WorkerFailedException(_workers[rank].Endpoint.Id, rank, step, "step",
                        $"its outcome {k} is for shard {outcome.ShardIndex}, not {first + k}");
                }
                _shardResults[first + k] = new ShardResult(outcome.LossSum, outcome.Correct, outcome.Samples);
            }
            // Each worker reports its own lowest offending index; marking them all keeps the lowest, as the
            // local sums do (gradient sums first in the flat vector, buffer changes after).
            if (result.FirstNonFiniteIndex >= 0)
            {
                long index = result.FirstNonFiniteIndex;
                if (index < gradients.Length)
                {
                    gradients.MarkNonFinite((int)index);
                }
                else
                {
                    bufferChanges.MarkNonFinite((int)(index - gradients.Length));
                }
            }
        }
        // From default in shard order, exactly as MicroShardRunner.Compute sums.
        var sum = default(ShardResult);
        for (int shard = 0; shard < shards; shard++)
        {
            sum += _shardResults[shard];
        }
        return sum;
    }

    public async ValueTask<ShardResult> EvaluateAsync(DataSplit split, CancellationToken cancellationToken)
    {
        Dataset? data = split == DataSplit.Validation ? _data.Validation : _data.Test;
        if (data is null)
        {
            return default;
        }
        await EnsurePreparedAsync(cancellationToken);
        // The trainer changes the master after every step and may restore other parameters (early stopping), so
        // the workers get the current ones before every evaluation.
        await StepAllAsync(_nextStep, ReadOnlyMemory<int>.Empty, 0, null, null, "parameter sync", cancellationToken);

        int chunk = Trainer.EvaluationChunk;
        int chunks = (data.Count + chunk - 1) / chunk;
        var calls = new Task<EvaluateResponse>?[_workers.Length];
        using var round = new CallRound(cancellationToken);
        for (int rank = 0; rank < _workers.Length; rank++)
        {
            var (first, count) = Run(rank, chunks);
            if (count == 0)
            {
                continue;
            }
            var request = new EvaluateRequest
            {
                JobId = _jobId,
                Generation = Generation,
                Split = split == DataSplit.Validation ? EvaluateRequest.Types.Split.Validation : EvaluateRequest.Types.Split.Test,
                Start = first * chunk,
                End = Math.Min((first + count) * chunk, data.Count),
                Chunk = chunk,
            };
            calls[rank] = round.Add(_workers[rank].EvaluateAsync(request, _nextStep, _options.EvaluateTimeout, round.Token));
        }
        await round.WhenAllAsync();

        var sum = default(ShardResult);
        for (int rank = 0; rank < _workers.Length; rank++)
        {
            if (calls[rank] is not { } call)
            {
                continue;
            }
            var response = call.Result;
            int expected = Run(rank, chunks).Count;
            if (response.Chunks.Count != expected)
            {
                throw new WorkerFailedException(_workers[rank].Endpoint.Id, rank, _nextStep, "evaluate",
                    $"it answered {response.Chunks.Count} chunk outcomes for its {expected} chunks");
            }
            foreach (var outcome in response.Chunks)
            {
                sum += new ShardResult(outcome.LossSum, outcome.Correct, outcome.Samples);
            }
        }
        return sum;
    }

    /// <summary>Asks every worker to forget the job (best effort, short deadline), then closes the channels.</summary>
    public void Dispose()
    {
        if (_stopOnDispose)
        {
            Task.WhenAll(_workers.Select(worker => worker.StopAsync(_jobId, _options.StopTimeout))).GetAwaiter().GetResult();
        }
        foreach (var worker in _workers)
        {
            worker.Dispose();
        }
    }

    private async Task EnsurePreparedAsync(CancellationToken cancellationToken)
    {
        if (_prepared)
        {
            return;
        }
        var ring = _workers.Select(worker => worker.Endpoint.Address.ToString().TrimEnd('/')).ToArray();
        using var round = new CallRound(cancellationToken);
        var calls = _workers.Select(worker => round.Add(worker.PrepareAsync(new PrepareJobRequest
        {
            JobId = _jobId,
            Spec = _spec,
            Rank = worker.Rank,
            WorldSize = _workers.Length,
            Ring = { ring },
            Generation = Generation,
            Threads = worker.Endpoint.Threads,
        }, _options.PrepareTimeout, round.Token))).ToArray();
        _stopOnDispose = true;
        await round.WhenAllAsync();

        long parameters = _parameters.Length;
        long gradientLength = FlatVectors.GradientLength(_model.Store);
        for (int rank = 0; rank < _workers.Length; rank++)
        {
            var response = calls[rank].Result;
            if (response.ParameterCount != parameters || response.GradientCount != gradientLength)
            {
                throw new WorkerFailedException(_workers[rank].Endpoint.Id, rank, 0, "prepare",
                    $"its model has {response.ParameterCount} parameters and {response.GradientCount} gradient elements; the coordinator's has {parameters} and {gradientLength}");
            }
        }
        _prepared = true;
        _onEvent($"Job {_jobId} runs on {_workers.Length} workers: " +
            string.Join(", ", _workers.Select(worker => $"{worker.Endpoint.Id} (rank {worker.Rank}, {worker.Endpoint.Address})")));
    }

    /// <summary>
    /// One Step call per worker at once, with the master's current parameters; with <paramref name="shards"/> = 0 the
    /// calls only distribute the parameters. Results land in <see cref="_stepResults"/> by rank.
    /// </summary>
    private async Task StepAllAsync(long step, ReadOnlyMemory<int> batch, int shards, FixedPointAccumulator? gradients,
        FixedPointAccumulator? bufferChanges, string phase, CancellationToken cancellationToken)
    {
        FlatVectors.CopyParameters(_parameters, _model.Store);
        // A parameter sync still gets vectors to write into; they receive the zero gradients of no shards.
        gradients ??= _syncGradients ??= new FixedPointAccumulator(_model.Store.Count);
        bufferChanges ??= _syncBufferChanges ??= new FixedPointAccumulator(_model.Store.BufferValues.Length);
        int gradientLength = gradients.Length + bufferChanges.Length;
        using var round = new CallRound(cancellationToken);
        var calls = new Task<StepResult>[_workers.Length];
        for (int rank = 0; rank < _workers.Length; rank++)
        {
            var header = Header(step, batch, shards, rank);
            var worker = _workers[rank];
            // Each call on its own thread-pool task: serializing the parameter pieces should not hold back the others.
            calls[rank] = round.Add(Task.Run(() => worker.StepAsync(header, _parameters, gradientLength, gradients, bufferChanges,
                _workers.Length, phase, _options.StepTimeout, round.Token), round.Token));
        }
        await round.WhenAllAsync();
        for (int rank = 0; rank < _workers.Length; rank++)
        {
            _stepResults[rank] = calls[rank].Result;
        }
    }

    private StepHeader Header(long step, ReadOnlyMemory<int> batch, int shards, int rank)
    {
        var header = new StepHeader { JobId = _jobId, Generation = Generation, Step = step };
        var (first, count) = Run(rank, shards);
        if (count == 0)
        {
            return header;
        }
        int start = first * _shardSize;
        int end = Math.Min((first + count) * _shardSize, batch.Length);
        header.SampleIds.AddRange(batch.Span[start..end].ToArray());
        for (int k = 0; k < count; k++)
        {
            header.ShardIndices.Add(first + k);
            header.ShardLengths.Add(Math.Min(_shardSize, batch.Length - (first + k) * _shardSize));
        }
        return header;
    }

    /// <summary>Rank <paramref name="rank"/>'s contiguous run of <paramref name="items"/> split evenly over the ring.</summary>
    private (int First, int Count) Run(int rank, int items)
    {
        int first = (int)((long)items * rank / _workers.Length);
        int next = (int)((long)items * (rank + 1) / _workers.Length);
        return (first, next - first);
    }
}
