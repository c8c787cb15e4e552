using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Coordinator.Sweeps;

/// <summary>The sweeps of this coordinator, as the state directory holds them; each read through its grain.</summary>
internal sealed class SweepIndex(FileSweepStorage storage, IGrainFactory grains)
{
    /// <summary>Every sweep with stored state, newest first.</summary>
    public async Task<IReadOnlyList<Sweep>> ListAsync()
    {
        var sweeps = new List<Sweep>();
        foreach (var sweepId in storage.ListSweepIds())
        {
            if (await grains.GetGrain<ISweepGrain>(sweepId).Get() is { } sweep)
            {
                sweeps.Add(sweep);
            }
        }
        return [.. sweeps.OrderByDescending(sweep => sweep.CreatedUnixMs).ThenByDescending(sweep => sweep.SweepId, StringComparer.Ordinal)];
    }

    /// <summary>Activates the grain of every sweep a previous coordinator left running; each resumes as it activates. Returns how many.</summary>
    public async Task<int> ResumeUnfinishedAsync()
    {
        int resumed = 0;
        foreach (var sweepId in storage.ListSweepIds())
        {
            if (await storage.ReadAsync(sweepId) is { State: SweepState.SweepRunning })
            {
                await grains.GetGrain<ISweepGrain>(sweepId).Get();
                resumed++;
            }
        }
        return resumed;
    }
}
