using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Coordinator.Jobs;
using DistributedTrainer.Data;
using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
// Inside this namespace the simple name Jobs is the namespace DistributedTrainer.Coordinator.Jobs.
using JobsRpc = DistributedTrainer.Protos.V1.Jobs;

namespace DistributedTrainer.Coordinator.Services;

/// <summary>
/// trainer.v1.Jobs over the job grains: checks the request (the caller's quotas, the data roots, the spec), calls the
/// grain, maps failures to a status.
/// </summary>
internal sealed class JobsService(IGrainFactory grains, JobIndex index, JobInputs inputs, CoordinatorPaths paths, DataRoots dataRoots,
    CallerQuotas quotas, ILogger<JobsService> logger)
    : JobsRpc.JobsBase
{
    public override async Task<SubmitJobResponse> SubmitJob(SubmitJobRequest request, ServerCallContext context)
    {
        if (request.Spec is null)
        {
            throw JobsErrors.InvalidArgument("spec: required");
        }
        // Before anything touches the disk: a refused path must not even tell whether it exists.
        var refusals = dataRoots.Check(request.Spec);
        if (refusals.Count > 0)
        {
            string reasons = string.Join("\n", refusals);
            CoordinatorLog.SpecRejected(logger, reasons);
            throw JobsErrors.PermissionDenied(reasons);
        }
        string caller = CallerQuotas.CallerOf(context);
        string jobId = JobIds.New();
        await quotas.ReserveJobAsync(caller, jobId, request.Spec.CalculateSize(), IsFinishedAsync);
        try
        {
            JobInput input;
            try
            {
                // Loading the data set can take seconds; it runs on the thread pool, and the loaded data goes to the run.
                input = await Task.Run(() => JobInput.FromSpec(request.Spec), context.CancellationToken);
            }
            catch (JobInputException invalid)
            {
                CoordinatorLog.SpecRejected(logger, invalid.Message);
                throw JobsErrors.InvalidArgument(invalid.Message);
            }
            // The run takes the data already loaded instead of loading it again.
            inputs.Offer(jobId, input);
            await grains.GetGrain<IJobGrain>(jobId).Submit(input.Spec);
        }
        catch
        {
            quotas.ReleaseJob(caller, jobId);
            inputs.Forget(jobId);
            throw;
        }
        return new SubmitJobResponse { JobId = jobId };
    }

    public override Task<Job> GetJob(GetJobRequest request, ServerCallContext context) => GetJob(request.JobId);

    public override async Task<ListJobsResponse> ListJobs(ListJobsRequest request, ServerCallContext context)
    {
        if (request.Limit < 0)
        {
            throw JobsErrors.InvalidArgument($"limit: must be >= 0, got {request.Limit}");
        }
        var jobs = await index.ListAsync();
        var response = new ListJobsResponse();
        response.Jobs.AddRange(request.Limit > 0 ? jobs.Take(request.Limit) : jobs);
        return response;
    }

    public override async Task WatchJob(WatchJobRequest request, IServerStreamWriter<JobEvent> responses, ServerCallContext context)
    {
        var grain = Grain(request.JobId);
        using var slot = quotas.OpenWatch(CallerQuotas.CallerOf(context));
        _ = await grain.Get() ?? throw JobsErrors.NotFound(request.JobId);
        await foreach (var jobEvent in grain.Watch(context.CancellationToken))
        {
            await responses.WriteAsync(jobEvent, context.CancellationToken);
        }
    }

    public override async Task<Job> CancelJob(CancelJobRequest request, ServerCallContext context) =>
        await Grain(request.JobId).Cancel() ?? throw JobsErrors.NotFound(request.JobId);

    public override async Task DownloadCheckpoint(DownloadCheckpointRequest request, IServerStreamWriter<CheckpointChunk> responses, ServerCallContext context)
    {
        await GetJob(request.JobId);
        CheckpointDownload download;
        try
        {
            download = await Task.Run(() => CheckpointDownload.Read(paths.CheckpointDirectory(request.JobId), request.Checkpoint, request.File),
                context.CancellationToken);
        }
        catch (ArgumentException invalid)
        {
            throw JobsErrors.InvalidArgument(invalid.Message);
        }
        catch (FileNotFoundException missing)
        {
            throw JobsErrors.NotFound(request.JobId, missing.Message);
        }
        for (int offset = 0; offset == 0 || offset < download.Content.Length; offset += CheckpointDownload.ChunkSize)
        {
            int length = Math.Min(CheckpointDownload.ChunkSize, download.Content.Length - offset);
            var chunk = new CheckpointChunk { Offset = offset, Data = ByteString.CopyFrom(download.Content, offset, length), Checkpoint = download.Checkpoint };
            if (offset == 0)
            {
                chunk.TotalSize = download.Content.Length;
                chunk.Sha256 = download.Sha256;
            }
            await responses.WriteAsync(chunk, context.CancellationToken);
        }
    }

    private async Task<bool> IsFinishedAsync(string jobId) => await grains.GetGrain<IJobGrain>(jobId).Get() is not { } job || JobGrain.IsEnded(job.State);

    private async Task<Job> GetJob(string jobId) => await Grain(jobId).Get() ?? throw JobsErrors.NotFound(jobId);

    private IJobGrain Grain(string jobId) => JobIds.IsWellFormed(jobId) ? grains.GetGrain<IJobGrain>(jobId) : throw JobsErrors.NotFound(jobId);
}
