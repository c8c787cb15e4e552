using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Coordinator.Jobs;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Rpc;
using DistributedTrainer.Training;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Coordinator.Services;

/// <summary>trainer.v1.Jobs over the job grains: checks the request, calls the grain, maps failures to a status.</summary>
internal sealed class JobsService(IGrainFactory grains, JobIndex index, JobInputs inputs, CoordinatorPaths paths, ILogger logger)
{
    /// <summary>The service definition to add to a router.</summary>
    public GrpcServiceDefinition Definition() => new GrpcServiceBuilder(JobsReflection.Descriptor.Services[0])
        .Unary<SubmitJobRequest, SubmitJobResponse>("SubmitJob", SubmitJob)
        .Unary<GetJobRequest, Job>("GetJob", (request, _) => GetJob(request.JobId))
        .Unary<ListJobsRequest, ListJobsResponse>("ListJobs", ListJobs)
        .ServerStreaming<WatchJobRequest, JobEvent>("WatchJob", WatchJob)
        .Unary<CancelJobRequest, Job>("CancelJob", (request, _) => CancelJob(request.JobId))
        .ServerStreaming<DownloadCheckpointRequest, CheckpointChunk>("DownloadCheckpoint", DownloadCheckpoint)
        .Build();

    private async Task<SubmitJobResponse> SubmitJob(SubmitJobRequest request, ServerCallContext context)
    {
        if (request.Spec is null)
        {
            throw JobsErrors.InvalidArgument("spec: required");
        }
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
        string jobId = JobIds.New();
        // The run takes the data already loaded instead of loading it again.
        inputs.Offer(jobId, input);
        await grains.GetGrain<IJobGrain>(jobId).Submit(input.Spec);
        return new SubmitJobResponse { JobId = jobId };
    }

    private async Task<Job> GetJob(string jobId) => await Grain(jobId).Get() ?? throw JobsErrors.NotFound(jobId);

    private async Task<ListJobsResponse> ListJobs(ListJobsRequest request, ServerCallContext context)
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

    private async Task WatchJob(WatchJobRequest request, IServerStreamWriter<JobEvent> responses, ServerCallContext context)
    {
        var grain = Grain(request.JobId);
        _ = await grain.Get() ?? throw JobsErrors.NotFound(request.JobId);
        await foreach (var jobEvent in grain.Watch(context.CancellationToken))
        {
            await responses.WriteAsync(jobEvent, context.CancellationToken);
        }
    }

    private async Task<Job> CancelJob(string jobId) => await Grain(jobId).Cancel() ?? throw JobsErrors.NotFound(jobId);

    private async Task DownloadCheckpoint(DownloadCheckpointRequest request, IServerStreamWriter<CheckpointChunk> responses, ServerCallContext context)
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

    private IJobGrain Grain(string jobId) => JobIds.IsWellFormed(jobId) ? grains.GetGrain<IJobGrain>(jobId) : throw JobsErrors.NotFound(jobId);
}
