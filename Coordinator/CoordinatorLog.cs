using DistributedTrainer.Protos.V1;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Coordinator;

/// <summary>Every log message of the coordinator, declared once. Tokens and other secrets are never arguments.</summary>
internal static partial class CoordinatorLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Listening on {Address} (state in {StateDirectory}, authentication {Authentication})")]
    public static partial void Listening(ILogger logger, Uri address, string stateDirectory, string authentication);

    [LoggerMessage(EventId = 50, Level = LogLevel.Information, Message = "Dashboard on {Address} (the Jobs API's token)")]
    public static partial void Dashboard(ILogger logger, Uri address);

    [LoggerMessage(EventId = 15, Level = LogLevel.Information, Message = "Job data is read only under {DataRoots}")]
    public static partial void DataRoots(ILogger logger, string dataRoots);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Job {JobId} submitted ({Name})")]
    public static partial void JobSubmitted(ILogger logger, string jobId, string name);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Job {JobId} started")]
    public static partial void JobStarted(ILogger logger, string jobId);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Job {JobId} resumes from checkpoint {Checkpoint}")]
    public static partial void JobResuming(ILogger logger, string jobId, string checkpoint);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Job {JobId} ended {State}: {Message}")]
    public static partial void JobEnded(ILogger logger, string jobId, JobState state, string message);

    [LoggerMessage(EventId = 6, Level = LogLevel.Error, Message = "Job {JobId} failed")]
    public static partial void JobFailed(ILogger logger, string jobId, Exception failure);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Job {JobId} interrupted by shutdown; it resumes on the next start")]
    public static partial void JobInterrupted(ILogger logger, string jobId);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "Recovered {Count} unfinished jobs from the state directory")]
    public static partial void JobsRecovered(ILogger logger, int count);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "Rejected job spec: {Reason}")]
    public static partial void SpecRejected(ILogger logger, string reason);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Worker {WorkerId} registered at {Address} ({Threads} threads)")]
    public static partial void WorkerRegistered(ILogger logger, string workerId, Uri address, int threads);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Worker {WorkerId} at {Address} lost: {Reason}")]
    public static partial void WorkerLost(ILogger logger, string workerId, Uri address, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Rejected worker registration: {Reason}")]
    public static partial void RegistrationRejected(ILogger logger, string reason);

    [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "Job {JobId} runs on {Workers}")]
    public static partial void JobPlaced(ILogger logger, string jobId, string workers);

    [LoggerMessage(EventId = 14, Level = LogLevel.Error, Message = "Job {JobId} lost worker {WorkerId} at step {Step}")]
    public static partial void JobLostWorker(ILogger logger, string jobId, string workerId, long step, Exception failure);

    [LoggerMessage(EventId = 16, Level = LogLevel.Information, Message = "Worker {WorkerId} at {Address} is leaving: {What}")]
    public static partial void WorkerLeaving(ILogger logger, string workerId, Uri address, string what);

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Sweep {SweepId} ({Name}) submitted: {Trials} trials, {Concurrent} at once")]
    public static partial void SweepSubmitted(ILogger logger, string sweepId, string name, int trials, int concurrent);

    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "Sweep {SweepId} trial {Trial} ({JobId}): {Message}")]
    public static partial void SweepTrialEvent(ILogger logger, string sweepId, int trial, string jobId, string message);

    [LoggerMessage(EventId = 42, Level = LogLevel.Information, Message = "Sweep {SweepId} ended {State}: {Message}")]
    public static partial void SweepEnded(ILogger logger, string sweepId, DistributedTrainer.Protos.V1.SweepState state, string message);

    [LoggerMessage(EventId = 43, Level = LogLevel.Warning, Message = "Sweep {SweepId} lost the watch of trial {Trial} ({JobId}); following it again")]
    public static partial void SweepFollowRetry(ILogger logger, string sweepId, int trial, string jobId, Exception failure);

    [LoggerMessage(EventId = 44, Level = LogLevel.Information, Message = "{Count} unfinished sweeps resumed")]
    public static partial void SweepsRecovered(ILogger logger, int count);
}
