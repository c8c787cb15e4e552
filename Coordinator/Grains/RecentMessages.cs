using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// The last <see cref="Capacity"/> notable events of a job in words (a resume, a skipped step, a checkpoint, a worker
/// lost), kept so that a watch attached later still hears them after its snapshot. Without it, a client that watches
/// a job after a coordinator restart never learns that the run resumed from a checkpoint. Held in memory only: after a
/// restart the list starts again with that run's events; the job's state says the rest.
/// </summary>
internal sealed class RecentMessages
{
    /// <summary>How many events are kept; the oldest goes first.</summary>
    public const int Capacity = 64;

    private readonly Queue<JobEvent> _events = new(Capacity);

    /// <summary>Keeps <paramref name="jobEvent"/> when it is an event in words; ignores every other kind.</summary>
    public void Add(JobEvent jobEvent)
    {
        if (jobEvent.EventCase != JobEvent.EventOneofCase.Message)
        {
            return;
        }
        if (_events.Count == Capacity)
        {
            _events.Dequeue();
        }
        _events.Enqueue(jobEvent);
    }

    /// <summary>The kept events, oldest first, each with its own time.</summary>
    public IReadOnlyList<JobEvent> Oldest() => [.. _events];
}
