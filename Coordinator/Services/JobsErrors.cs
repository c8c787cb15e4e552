using Grpc.Core;

namespace DistributedTrainer.Coordinator.Services;

/// <summary>The statuses the Jobs API answers with, worded in one place.</summary>
internal static class JobsErrors
{
    // A status detail travels in an HTTP/2 trailer, which clients cap (Grpc.Net.Client: 64 KiB of headers); a spec
    // with thousands of bad layers must still get an answer it can read.
    private const int MaxLines = 50;
    private const int MaxLineLength = 1000;

    public static RpcException InvalidArgument(string reasons) => new(new Status(StatusCode.InvalidArgument, Capped(reasons)));

    /// <summary>The spec names something the caller may not have read (a path outside the data roots).</summary>
    public static RpcException PermissionDenied(string reasons) => new(new Status(StatusCode.PermissionDenied, Capped(reasons)));

    public static RpcException NotFound(string jobId, string? detail = null)
    {
        // An id is the caller's own text, of any length: quote enough of it to recognize.
        string shown = jobId.Length <= 64 ? jobId : jobId[..64] + "...";
        return new(new Status(StatusCode.NotFound, detail is null ? $"Job '{shown}' not found." : $"Job {shown}: {detail}"));
    }

    /// <summary>The first <see cref="MaxLines"/> lines of <paramref name="reasons"/>, each cut at <see cref="MaxLineLength"/> characters.</summary>
    private static string Capped(string reasons)
    {
        string[] lines = reasons.Split('\n');
        var kept = lines.Take(MaxLines).Select(line => line.Length <= MaxLineLength ? line : line[..MaxLineLength] + "...");
        return lines.Length <= MaxLines
            ? string.Join('\n', kept)
            : string.Join('\n', kept.Append($"spec: {lines.Length - MaxLines} more errors not shown"));
    }
}
