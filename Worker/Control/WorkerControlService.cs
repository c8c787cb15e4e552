using System.Diagnostics;
using System.Globalization;
using DistributedTrainer.ClusterApi;
using DistributedTrainer.Data;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using DistributedTrainer.Training.Collective;
using DistributedTrainer.Worker.Collective;
using DistributedTrainer.Worker.Faults;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Worker.Control;

/// <summary>
/// The worker's trainer.v1.WorkerControl service: checks each call's envelope, hands it to the one
/// <see cref="WorkerJob"/> the worker holds, and maps failures to a status in one place.
/// </summary>
internal sealed class WorkerControlService : WorkerControlServiceBase, IAsyncDisposable
{
    private readonly CollectiveService _collective;
    private readonly FaultDrill _faults;
    private readonly string? _token;
    private readonly DataRoots? _dataRoots;
    private readonly int _defaultThreads;
    private readonly ShardRunnerFactory _runners;
    private readonly string? _shardBoards;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private WorkerJob? _job;

    /// <param name="collective">This worker's Collective service, the receiving end of its ring links.</param>
    /// <param name="defaultThreads">Engines per job when PrepareJob asks for 0.</param>
    /// <param name="faults">Faults the jobs inject (drills and tests); none normally.</param>
    /// <param name="token">The workers' bearer token, which the jobs' ring links present to the next rank; null for none.</param>
    /// <param name="logger">Where the service logs.</param>
    /// <param name="dataRoots">Where the jobs' data may be read from; null: wherever the coordinator's specs say.</param>
    /// <param name="runners">What computes the jobs' micro-shards (the worker's --device); default the SIMD kernels.</param>
    /// <param name="shardBoards">The directory of the jobs' shard boards shared with the workers on this machine
    /// (--shard-board); null for none.</param>
    public WorkerControlService(CollectiveService collective, int defaultThreads, FaultDrill faults, string? token, ILogger logger,
        DataRoots? dataRoots = null, ShardRunnerFactory? runners = null, string? shardBoards = null)
    {
        _shardBoards = shardBoards;
        _dataRoots = dataRoots;
        _runners = runners ?? ShardRunners.Cpu;
        _collective = collective;
        _faults = faults;
        _token = token;
        _defaultThreads = defaultThreads;
        _logger = logger;
    }

    /// <summary>The job this worker holds, or null; a stopping worker waits until its coordinator releases it.</summary>
    public string? HeldJobId => Volatile.Read(ref _job)?.JobId;

    // A board that cannot be opened costs only speed: the job's workers then compute their own shards.
    private ShardBoard? OpenShardBoard(string jobId)
    {
        try
        {
            return ShardBoard.Open(_shardBoards!, jobId);
        }
        catch (Exception failure) when (failure is IOException or UnauthorizedAccessException or ArgumentException)
        {
            WorkerLog.ShardBoardUnavailable(_logger, jobId, _shardBoards!, failure.Message);
            return null;
        }
    }

    public override Task<PrepareJobResponse> PrepareJob(PrepareJobRequest request, ServerCallContext context) =>
        Guard("PrepareJob", () => PrepareJobAsync(request, context));

    public override Task Step(IAsyncStreamReader<IncomingStepRequest> requests, IServerStreamWriter<OutgoingStepResponse> responses, ServerCallContext context) =>
        ServeStepAsync(requests, responses, context.CancellationToken);

    /// <summary>A Step call, served by Kestrel (<see cref="Step"/>) or directly (<see cref="DirectStepStream"/>); <paramref name="callEnded"/> fires when the call ends.</summary>
    internal Task ServeStepAsync(IAsyncStreamReader<IncomingStepRequest> requests, IServerStreamWriter<OutgoingStepResponse> responses, CancellationToken callEnded) =>
        Guard("Step", () => StepAsync(requests, responses, callEnded));

    public override Task<EvaluateResponse> Evaluate(EvaluateRequest request, ServerCallContext context) =>
        Guard("Evaluate", () => EvaluateAsync(request, context));

    public override Task<StopJobResponse> StopJob(StopJobRequest request, ServerCallContext context) =>
        Guard("StopJob", () => StopJobAsync(request));

    private async Task<PrepareJobResponse> PrepareJobAsync(PrepareJobRequest request, ServerCallContext context)
    {
        CheckJobId(request.JobId);
        if (request.Spec is null)
        {
            throw new ArgumentException("Invalid spec: missing");
        }
        if (request.WorldSize < 1)
        {
            throw new ArgumentException($"Invalid world_size: {request.WorldSize} (must be >= 1)");
        }
        if (request.Rank < 0 || request.Rank >= request.WorldSize)
        {
            throw new ArgumentException($"Invalid rank: {request.Rank} (must be in [0, {request.WorldSize}))");
        }
        if (request.Ring.Count != request.WorldSize)
        {
            throw new ArgumentException($"Invalid ring: {request.Ring.Count} addresses for world_size {request.WorldSize}");
        }
        var ring = new Uri[request.Ring.Count];
        for (int i = 0; i < ring.Length; i++)
        {
            if (!Uri.TryCreate(request.Ring[i], UriKind.Absolute, out var address) || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
            {
                throw new ArgumentException($"Invalid ring[{i}]: '{request.Ring[i]}' (must be an http:// or https:// URL)");
            }
            ring[i] = address;
        }
        if (request.Generation < 1)
        {
            throw new ArgumentException($"Invalid generation: {request.Generation} (must be >= 1)");
        }
        if (request.Threads < 0)
        {
            throw new ArgumentException($"Invalid threads: {request.Threads} (must be >= 0; 0 uses the worker's --threads)");
        }

        await _gate.WaitAsync(context.CancellationToken);
        try
        {
            if (_job is not null && _job.JobId != request.JobId)
            {
                // The coordinator leased this worker to the new job, so nobody runs the old one here any more: its
                // StopJob was lost (the coordinator stopped or restarted first, or the call timed out). Holding on to it
                // would refuse every job from now on.
                string stale = _job.JobId;
                await _job.DisposeAsync();
                _job = null;
                WorkerLog.StaleJobReplaced(_logger, stale, request.JobId);
            }
            if (_job is null)
            {
                int threads = request.Threads > 0 ? request.Threads : _defaultThreads;
                // Loading the data takes a while; keep it off the request's thread.
                var spec = Confined(request.Spec);
                _job = await Task.Run(() => WorkerJob.Create(request.JobId, spec, threads, _runners, _collective, _faults, _token,
                    _shardBoards is null ? null : OpenShardBoard), context.CancellationToken);
            }
            await _job.ConnectAsync(request.Rank, ring, request.Generation, context.CancellationToken);
            WorkerLog.JobPrepared(_logger, request.JobId, request.Rank, request.WorldSize, request.Generation);
            return new PrepareJobResponse
            {
                ParameterCount = _job.ParameterCount,
                GradientCount = _job.GradientCount,
                GeneratorGradientCount = _job.GeneratorGradientCount,
            };
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The steps of one Step call, one after another (cluster.proto): each begins with its header; the call ends OK when the
    /// coordinator completes its side between steps, or when the job is stopped while the stream waits for the next step.
    /// </summary>
    private async Task StepAsync(IAsyncStreamReader<IncomingStepRequest> requests, IServerStreamWriter<OutgoingStepResponse> responses, CancellationToken callEnded)
    {
        if (!await requests.MoveNext(callEnded))
        {
            throw new ArgumentException("Invalid request stream: empty (the first message must be the StepHeader)");
        }
        for (int step = 0; ; step++)
        {
            WorkerJob job;
            using (var first = requests.Current)
            {
                first.ThrowIfMalformed();
                if (first.Kind != StepRequest.KindOneofCase.Header)
                {
                    throw new ArgumentException(step == 0
                        ? $"Invalid request 0: {first.Kind} (the first message must be the StepHeader)"
                        : $"Invalid request: {first.Kind} after step {step} of this call was answered (only the next StepHeader may follow a StepResult)");
                }
                var header = first.Header!;
                job = Job(header.JobId);
                if (step == 0)
                {
                    // The call's server span, Kestrel's or the direct call's: a call serves one job's steps.
                    Activity.Current?.SetTag(TrainingAttributes.JobId, job.JobId);
                }
                await job.StepAsync(header, requests, responses, callEnded);
            }
            if (!await NextStepAsync(requests, job, callEnded))
            {
                return;
            }
        }
    }

    /// <summary>Waits for the next step's first message; false when the coordinator completed its side or the job stopped meanwhile.</summary>
    private static async Task<bool> NextStepAsync(IAsyncStreamReader<IncomingStepRequest> requests, WorkerJob job, CancellationToken cancellationToken)
    {
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, job.Stopping);
        try
        {
            return await requests.MoveNext(waiting.Token);
        }
        catch (OperationCanceledException) when (job.Stopping.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // StopJob freed the job: nothing is left to step on this stream.
            return false;
        }
    }

    private Task<EvaluateResponse> EvaluateAsync(EvaluateRequest request, ServerCallContext context) =>
        Job(request.JobId).EvaluateAsync(request, context.CancellationToken);

    private async Task<StopJobResponse> StopJobAsync(StopJobRequest request)
    {
        CheckJobId(request.JobId);
        await _gate.WaitAsync();
        try
        {
            if (_job is not null && _job.JobId == request.JobId)
            {
                await _job.DisposeAsync();
                _job = null;
                WorkerLog.JobStopped(_logger, request.JobId);
            }
            return new StopJobResponse();
        }
        finally
        {
            _gate.Release();
        }
    }

    private WorkerJob Job(string jobId)
    {
        CheckJobId(jobId);
        var job = Volatile.Read(ref _job);
        if (job is null || job.JobId != jobId)
        {
            throw new InvalidOperationException($"Invalid job_id: {jobId} is not prepared on this worker ({(job is null ? "it holds no job" : $"it holds job {job.JobId}")})");
        }
        return job;
    }

    private static void CheckJobId(string jobId)
    {
        if (string.IsNullOrEmpty(jobId))
        {
            throw new ArgumentException("Invalid job_id: empty");
        }
    }

    /// <summary>The one place where failures become statuses.</summary>
    private async Task<T> Guard<T>(string method, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception failure) when (ToStatus(failure) is { } status)
        {
            WorkerLog.CallFailed(_logger, method, status.StatusCode.ToString(), status.Status.Detail);
            throw status;
        }
    }

    private async Task Guard(string method, Func<Task> call) => await Guard(method, async () =>
    {
        await call();
        return true;
    });

    // A spec naming data outside this worker's roots is one it cannot serve, like one whose files it lacks: the
    // refusal is INVALID_ARGUMENT, and the coordinator drops this worker by name.
    private JobSpec Confined(JobSpec spec)
    {
        var refusals = _dataRoots?.Check(spec) ?? [];
        return refusals.Count == 0 ? spec : throw new JobInputException(string.Join("\n", refusals));
    }

    private static RpcException? ToStatus(Exception failure) => failure switch
    {
        JobInputException invalid => new RpcException(new Status(StatusCode.InvalidArgument, $"Invalid spec: {invalid.Message}")),
        ArgumentException or InvalidDataException => new RpcException(new Status(StatusCode.InvalidArgument, failure.Message)),
        InvalidOperationException => new RpcException(new Status(StatusCode.FailedPrecondition, failure.Message)),
        // The peer rank travels as a trailer, so the coordinator learns whom to drop without reading the text.
        RingException ring => new RpcException(new Status(StatusCode.Aborted, $"ring {ring.Phase} failed: {ring.Message}"),
            new Metadata
            {
                { StepTrailers.PeerRank, ring.PeerRank.ToString(CultureInfo.InvariantCulture) },
                { StepTrailers.RingPiece, string.Create(CultureInfo.InvariantCulture,
                    $"{(ring.Phase == CollectivePhase.ReduceScatter ? "reduce-scatter" : "all-gather")} chunk {ring.ChunkIndex}") },
                { StepTrailers.RingPosition, string.Create(CultureInfo.InvariantCulture,
                    $"{(ring.Phase == CollectivePhase.ReduceScatter ? 1 : 0)} {ring.Round}") },
            }),
        _ => null,
    };

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_job is not null)
            {
                await _job.DisposeAsync();
                _job = null;
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
