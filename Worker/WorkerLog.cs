using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Worker;

/// <summary>Every log message of the worker, declared once. Tokens are never arguments.</summary>
internal static partial class WorkerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Listening on {Address} (advertised as {Advertised}, {Threads} threads, authentication {Authentication})")]
    public static partial void Listening(ILogger logger, Uri address, Uri advertised, int threads, string authentication);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Registered with {Coordinator} as {WorkerId} (heartbeat every {IntervalMs} ms)")]
    public static partial void Registered(ILogger logger, Uri coordinator, string workerId, int intervalMs);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "The coordinator no longer knows {WorkerId}; registering again")]
    public static partial void Forgotten(ILogger logger, string workerId);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Cannot reach the coordinator at {Coordinator}: {Reason}; retrying with backoff up to {MaxDelay}")]
    public static partial void Unreachable(ILogger logger, Uri coordinator, string reason, TimeSpan maxDelay);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "The coordinator at {Coordinator} answers again")]
    public static partial void Reachable(ILogger logger, Uri coordinator);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Job {JobId} prepared: rank {Rank} of {WorldSize}, generation {Generation}")]
    public static partial void JobPrepared(ILogger logger, string jobId, int rank, int worldSize, long generation);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Job {JobId} stopped")]
    public static partial void JobStopped(ILogger logger, string jobId);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "{Method} failed: {Status} {Detail}")]
    public static partial void CallFailed(ILogger logger, string method, string status, string detail);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "Job {StaleJobId} was never stopped; dropped it to prepare job {JobId}")]
    public static partial void StaleJobReplaced(ILogger logger, string staleJobId, string jobId);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Stopping: told {Coordinator} this worker is leaving; waiting up to {Drain} for job {JobId} to release it")]
    public static partial void Leaving(ILogger logger, Uri coordinator, TimeSpan drain, string jobId);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Stopping: job {JobId} still holds this worker after {Drain}; leaving anyway")]
    public static partial void DrainTimedOut(ILogger logger, string jobId, TimeSpan drain);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Gradients computed on {Device}")]
    public static partial void ComputingOn(ILogger logger, string device);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Stopping: could not tell {Coordinator} this worker is leaving: {Reason}")]
    public static partial void LeaveNotTold(ILogger logger, Uri coordinator, string reason);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "Stopping: {Coordinator} did not know this worker or could not be told, so nothing will release it; leaving at once")]
    public static partial void LeavingWithoutRelease(ILogger logger, Uri coordinator);

    [LoggerMessage(EventId = 15, Level = LogLevel.Information, Message = "Stopping: told {Coordinator} this worker is leaving; it holds no job")]
    public static partial void LeavingWithNoJob(ILogger logger, Uri coordinator);

    [LoggerMessage(EventId = 16, Level = LogLevel.Information, Message = "Threads confined to CPUs {Cpus} (--cpus)")]
    public static partial void ConfinedToCpus(ILogger logger, string cpus);

    [LoggerMessage(EventId = 17, Level = LogLevel.Warning, Message = "Job {JobId} computes only its own micro-shards: the shard board in {Directory} could not be opened ({Reason})")]
    public static partial void ShardBoardUnavailable(ILogger logger, string jobId, string directory, string reason);

    [LoggerMessage(EventId = 18, Level = LogLevel.Information, Message = "Ring links offer shared-memory inboxes in {Directory} to workers on this machine (--ring-shared-memory)")]
    public static partial void RingSharedMemory(ILogger logger, string directory);
}
