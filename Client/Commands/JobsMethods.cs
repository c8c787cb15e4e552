using DistributedTrainer.Protos.V1;
using DistributedTrainer.Rpc;

namespace DistributedTrainer.Client.Commands;

/// <summary>The methods of trainer.v1.Jobs, read from the generated descriptor.</summary>
internal static class JobsMethods
{
    private static Google.Protobuf.Reflection.MethodDescriptor Find(string name) =>
        JobsReflection.Descriptor.Services[0].FindMethodByName(name);

    public static readonly Method<SubmitJobRequest, SubmitJobResponse> SubmitJob = new(Find("SubmitJob"));
    public static readonly Method<GetJobRequest, Job> GetJob = new(Find("GetJob"));
    public static readonly Method<ListJobsRequest, ListJobsResponse> ListJobs = new(Find("ListJobs"));
    public static readonly Method<WatchJobRequest, JobEvent> WatchJob = new(Find("WatchJob"));
    public static readonly Method<CancelJobRequest, Job> CancelJob = new(Find("CancelJob"));
    public static readonly Method<DownloadCheckpointRequest, CheckpointChunk> DownloadCheckpoint = new(Find("DownloadCheckpoint"));
}
