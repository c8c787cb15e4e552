using Grpc.Core;

namespace DistributedTrainer.Coordinator.Services;

/// <summary>The statuses the Jobs API answers with, worded in one place.</summary>
internal static class JobsErrors
{
    public static RpcException InvalidArgument(string reasons) => new(new Status(StatusCode.InvalidArgument, reasons));

    /// <summary>The spec names something the caller may not have read (a path outside the data roots).</summary>
    public static RpcException PermissionDenied(string reasons) => new(new Status(StatusCode.PermissionDenied, reasons));

    public static RpcException NotFound(string jobId, string? detail = null) =>
        new(new Status(StatusCode.NotFound, detail is null ? $"Job '{jobId}' not found." : $"Job {jobId}: {detail}"));
}
