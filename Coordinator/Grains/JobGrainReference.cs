using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>What callers hold instead of the grain (as an Orleans grain reference): every call becomes a message in the grain's mailbox.</summary>
internal sealed class JobGrainReference(JobGrain grain, GrainMailbox mailbox) : IJobGrain
{
    public GrainMailbox Mailbox => mailbox;

    public Task<Job> Submit(JobSpec spec) => mailbox.Post(() => grain.Submit(spec));

    public Task<Job?> Get() => mailbox.Post(grain.Get);

    public Task<Job?> Cancel() => mailbox.Post(grain.Cancel);

    public Task<JobWatch?> Watch() => mailbox.Post(grain.Watch);

    public Task Wait(JobState state, string message) => mailbox.Post(() => grain.Wait(state, message));

    public Task<JobSpec?> Start(int workers, string message) => mailbox.Post(() => grain.Start(workers, message));

    public Task Continue(int workers, string message) => mailbox.Post(() => grain.Continue(workers, message));

    public Task ReportStep(StepMetrics step) => mailbox.Post(() => grain.ReportStep(step));

    public Task ReportEpoch(EpochMetrics epoch, string? checkpoint) => mailbox.Post(() => grain.ReportEpoch(epoch, checkpoint));

    public Task ReportEvent(string message) => mailbox.Post(() => grain.ReportEvent(message));

    public Task Finish(JobState state, string message, JobResult? result, string? checkpoint) =>
        mailbox.Post(() => grain.Finish(state, message, result, checkpoint));
}
