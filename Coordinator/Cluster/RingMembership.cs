using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// A job's ring of workers from step to step: which workers hold the job at which ranks (one generation), preparing them
/// as a new generation when that changes (first use, a worker dropped, joined or leaving at a step boundary), and which
/// worker a failure blames. The ring never changes within a step; <see cref="ClusterGradientBackend"/> runs each step's
/// round on <see cref="Workers"/> under <see cref="Generation"/>.
/// </summary>
internal sealed class RingMembership : IDisposable
{
    private readonly string _jobId;
    private readonly JobSpec _spec;
    private readonly IWorkerPool _pool;
    private readonly ClusterBackendOptions _options;
    private readonly Action<string> _onEvent;
    // What every prepared worker must report, so that a worker running another model (or version) is refused at once.
    private readonly long _parameterLength;
    private readonly long _gradientLength;
    private readonly long _generatorGradientLength;
    private WorkerClient[] _workers = [];
    // Rings are numbered from the wall clock, so a coordinator restarted mid-job starts above the generation its
    // predecessor left on the workers (a worker refuses an older generation than the one it holds).
    private long _generation = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    private bool _prepared;
    private bool _everPrepared;
    // The step in which a worker was last dropped for refusing a request as invalid; -1: none yet.
    private long _invalidRefusalStep = -1;

    /// <param name="jobId">The job; workers hold it under this id.</param>
    /// <param name="spec">The job's spec, sent to every worker prepared.</param>
    /// <param name="pool">The job's workers; failed ones are dropped from it, joined ones taken from it.</param>
    /// <param name="options">Deadlines of prepare and stop, and the workers' token.</param>
    /// <param name="onEvent">Receives one line per change of the ring (the job's event log).</param>
    /// <param name="parameterLength">Length of the flat parameter vector each worker must report.</param>
    /// <param name="gradientLength">Length of the (critic update's) flat gradient vector each worker must report.</param>
    /// <param name="generatorGradientLength">A GAN's generator update's gradient length; 0 for other jobs.</param>
    public RingMembership(string jobId, JobSpec spec, IWorkerPool pool, ClusterBackendOptions options, Action<string> onEvent,
        long parameterLength, long gradientLength, long generatorGradientLength)
    {
        _jobId = jobId;
        _spec = spec;
        _pool = pool;
        _options = options;
        _onEvent = onEvent;
        _parameterLength = parameterLength;
        _gradientLength = gradientLength;
        _generatorGradientLength = generatorGradientLength;
    }

    /// <summary>The ring's workers by rank, as last prepared.</summary>
    public IReadOnlyList<WorkerClient> Workers => _workers;

    /// <summary>The ring's generation, which every call to a worker carries.</summary>
    public long Generation => _generation;

    /// <summary>Whether the current generation is prepared and stays so: no worker has joined, left or been dropped since.</summary>
    public bool Prepared => _prepared;

    /// <summary>
    /// Makes the next <see cref="EnsurePreparedAsync"/> prepare a new generation of the same workers: the Step calls of
    /// this one were given up mid-step, which leaves the workers' ring links of it broken.
    /// </summary>
    public void Renew() => _prepared = false;

    /// <summary>
    /// A step boundary: workers that are stopping leave and workers that registered since join now, so the ring never
    /// changes within a step; either makes the next <see cref="EnsurePreparedAsync"/> prepare a new generation.
    /// </summary>
    public async Task AdmitAsync(long step, CancellationToken cancellationToken)
    {
        foreach (var leaving in _pool.TakeLeaving())
        {
            await ReleaseLeavingAsync(leaving, step, cancellationToken);
        }
        var joined = await _pool.JoinAsync();
        if (joined.Count > 0)
        {
            _prepared = false;
            _onEvent($"{string.Join(", ", joined.Select(worker => worker.Id))} joined job {_jobId} at step {step}");
        }
    }

    /// <summary>
    /// Whether <paramref name="failure"/> in <paramref name="step"/> is the worker's fault, so that dropping it helps.
    /// A request one worker refuses as invalid is taken as that worker's problem (its node cannot read the dataset, or
    /// runs another version): it is dropped and the step re-run without it. A second such refusal in the same step
    /// blames the request, which every worker would refuse: the job fails then, instead of draining its ring.
    /// </summary>
    public bool IsWorkersFault(WorkerFailedException failure, long step)
    {
        if (!failure.IsInvalidRequest)
        {
            return true;
        }
        if (_invalidRefusalStep == step)
        {
            return false;
        }
        _invalidRefusalStep = step;
        return true;
    }

    /// <summary>
    /// Releases a worker that is stopping, its last step done: tells it to stop the job (so it may exit) and drops it
    /// from the pool as gone (waiting for workers when too few are left). The step about to run is not a re-run.
    /// </summary>
    private async Task ReleaseLeavingAsync(WorkerEndpoint leaving, long step, CancellationToken cancellationToken)
    {
        _onEvent($"worker {leaving.Id} is leaving (stopping); job {_jobId} goes on without it from step {step}");
        if (_workers.FirstOrDefault(worker => worker.Endpoint == leaving) is { } client)
        {
            await client.StopAsync(_jobId, _options.StopTimeout);
        }
        _prepared = false;
        if (!await _pool.DropAsync(leaving, gone: true, cancellationToken))
        {
            throw new WorkerFailedException(leaving.Id, -1, step, "leave", "the worker left and no worker is left to run the job on");
        }
    }

    /// <summary>
    /// Names the worker at fault for <paramref name="failure"/>, drops it from the pool (waiting for workers when too
    /// few are left) and marks the ring for a new generation. Throws the failure when no worker is left.
    /// </summary>
    public async Task DropAsync(WorkerFailedException failure, CancellationToken cancellationToken)
    {
        // A worker that names a ring peer blames that peer; anything else is the worker's own failure.
        var culprit = failure.PeerRank is { } peer && peer >= 0 && peer < _workers.Length && peer != failure.Rank
            ? _workers[peer]
            : _workers.First(worker => worker.Endpoint.Id == failure.WorkerId);
        bool gone = failure.Kind == WorkerFailureKind.Gone && culprit.Endpoint.Id == failure.WorkerId;
        string what = failure.Kind switch
        {
            WorkerFailureKind.PeerFailed when culprit.Endpoint.Id != failure.WorkerId =>
                $"worker {culprit.Endpoint.Id} (rank {culprit.Rank}) missed {failure.RingPiece ?? "a ring piece"} of step {failure.Step} ({failure.Phase}; reported by {failure.WorkerId}, rank {failure.Rank})",
            WorkerFailureKind.Gone => $"worker {culprit.Endpoint.Id} (rank {culprit.Rank}) is gone ({failure.Detail}) at step {failure.Step} ({failure.Phase})",
            WorkerFailureKind.NoAnswer => $"worker {culprit.Endpoint.Id} (rank {culprit.Rank}) did not answer {failure.Phase} of step {failure.Step} in time ({failure.Detail})",
            _ => $"worker {culprit.Endpoint.Id} (rank {culprit.Rank}) failed {failure.Phase} of step {failure.Step}: {failure.Detail}",
        };
        var survivors = _workers.Where(worker => worker != culprit).Select(worker => worker.Endpoint.Id).ToList();
        _onEvent(survivors.Count >= _pool.Minimum
            ? $"{what}; re-running the step on {string.Join(", ", survivors)}"
            : $"{what}; {survivors.Count} of {_pool.Minimum} workers left, waiting for more");

        if (!gone)
        {
            // Alive but failed: it should not hold the job's data and engines while it is out of the ring.
            await culprit.StopAsync(_jobId, _options.StopTimeout);
        }
        _prepared = false;
        if (!await _pool.DropAsync(culprit.Endpoint, gone, cancellationToken))
        {
            throw failure;
        }
    }

    /// <summary>
    /// Prepares the pool's workers as a new ring generation when it changed (first use, a worker dropped or joined):
    /// the workers that already hold the job keep its data and engines and only re-link.
    /// </summary>
    public async Task EnsurePreparedAsync(long step, CancellationToken cancellationToken)
    {
        if (_prepared)
        {
            return;
        }
        var workers = _pool.Workers;
        var kept = _workers.ToDictionary(worker => worker.Endpoint);
        foreach (var worker in _workers.Where(worker => !workers.Contains(worker.Endpoint)))
        {
            worker.Dispose();
        }
        _workers = [.. workers.Select((endpoint, rank) => kept.TryGetValue(endpoint, out var client) && client.Rank == rank
            ? client
            : Replace(client, new WorkerClient(endpoint, rank, _options.Token)))];
        long generation = ++_generation;

        var ring = _workers.Select(worker => worker.Endpoint.Address.ToString().TrimEnd('/')).ToArray();
        using var round = new CallRound(cancellationToken);
        var calls = _workers.Select(worker => round.Add(worker.PrepareAsync(new PrepareJobRequest
        {
            JobId = _jobId,
            Spec = _spec,
            Rank = worker.Rank,
            WorldSize = _workers.Length,
            Ring = { ring },
            Generation = generation,
            Threads = worker.Endpoint.Threads,
        }, step, _options.PrepareTimeout, round.Token))).ToArray();
        // Set before waiting: workers that did prepare are told to stop on dispose even if another one failed.
        _everPrepared = true;
        await round.WhenAllAsync();

        long parameters = _parameterLength;
        long gradientLength = _gradientLength;
        long generatorGradientLength = _generatorGradientLength;
        for (int rank = 0; rank < _workers.Length; rank++)
        {
            var response = calls[rank].Result;
            if (response.ParameterCount != parameters || response.GradientCount != gradientLength)
            {
                throw new WorkerFailedException(_workers[rank].Endpoint.Id, rank, step, "prepare",
                    $"its model has {response.ParameterCount} parameters and {response.GradientCount} gradient elements; the coordinator's has {parameters} and {gradientLength}");
            }
            if (response.GeneratorGradientCount != generatorGradientLength)
            {
                throw new WorkerFailedException(_workers[rank].Endpoint.Id, rank, step, "prepare",
                    $"its generator has {response.GeneratorGradientCount} gradient elements; the coordinator's has {generatorGradientLength}");
            }
        }
        _prepared = true;
        _onEvent($"Job {_jobId} runs on {_workers.Length} workers from step {step} (ring generation {generation}): " +
            string.Join(", ", _workers.Select(worker => $"{worker.Endpoint.Id} (rank {worker.Rank}, {worker.Endpoint.Address})")));
    }

    /// <summary>A worker whose rank changed gets a new client (the client carries the rank); the old one is closed.</summary>
    private static WorkerClient Replace(WorkerClient? old, WorkerClient replacement)
    {
        old?.Dispose();
        return replacement;
    }

    /// <summary>Asks every worker to forget the job (best effort, short deadline), then closes the channels.</summary>
    public void Dispose()
    {
        if (_everPrepared)
        {
            Task.WhenAll(_workers.Select(worker => worker.StopAsync(_jobId, _options.StopTimeout))).GetAwaiter().GetResult();
        }
        foreach (var worker in _workers)
        {
            worker.Dispose();
        }
    }
}
