using Google.Protobuf.WellKnownTypes;

namespace DistributedTrainer.Sweeps;

/// <summary>
/// Chooses each trial's parameter values. A sampler is a pure function of its seed, the trial number and the ended
/// trials it is shown, so a sweep resumed after a restart, or run again with the same seed, gets the same trials.
/// </summary>
public interface ITrialSampler
{
    /// <summary>
    /// How many of the first trials must have ended before trial <paramref name="trial"/> is sampled: 0 for samplers
    /// that do not learn from results. The sweep waits for them, so what the sampler sees does not depend on timing.
    /// </summary>
    int TrialsNeededBefore(int trial);

    /// <summary>
    /// The values of trial <paramref name="trial"/> (0-based), one per parameter in order. <paramref name="ended"/>
    /// holds ended trials with an objective; only those numbered below <see cref="TrialsNeededBefore"/> are used.
    /// </summary>
    IReadOnlyList<Value> Sample(int trial, IReadOnlyList<TrialObservation> ended);
}

/// <summary>An ended trial as a sampler sees it: its number, its values (one per parameter) and its objective.</summary>
public sealed record TrialObservation(int Trial, IReadOnlyList<Value> Point, double Objective);
