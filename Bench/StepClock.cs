using System.Diagnostics;
using DistributedTrainer.Training;

namespace DistributedTrainer.Bench;

/// <summary>The time between consecutive step reports: a whole step, the coordinator's update included.</summary>
internal sealed class StepClock : ITrainingObserver
{
    private long _last = Stopwatch.GetTimestamp();

    public List<double> StepSeconds { get; } = [];

    /// <summary>Called after each step with the count of steps so far, at the time it is recorded.</summary>
    public Action<int>? AfterStep { get; init; }

    public void OnStep(StepReport report)
    {
        long now = Stopwatch.GetTimestamp();
        StepSeconds.Add(Stopwatch.GetElapsedTime(_last, now).TotalSeconds);
        _last = now;
        AfterStep?.Invoke(StepSeconds.Count);
    }

    public void OnEpoch(EpochReport report)
    {
    }

    public void OnEvent(string message)
    {
    }
}
