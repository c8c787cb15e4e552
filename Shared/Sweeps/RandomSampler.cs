using Google.Protobuf.WellKnownTypes;

namespace DistributedTrainer.Sweeps;

/// <summary>Independent uniform draws from each parameter's domain (log-uniform in log space); grid values count as a choice.</summary>
public sealed class RandomSampler(IReadOnlyList<SweepParameter> parameters, ulong seed) : ITrialSampler
{
    /// <inheritdoc />
    public int TrialsNeededBefore(int trial) => 0;

    /// <inheritdoc />
    public IReadOnlyList<Value> Sample(int trial, IReadOnlyList<TrialObservation> ended)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trial);
        var random = SweepRandom.For(seed, trial, 0);
        return [.. parameters.Select(parameter => parameter.ValueOf(SweepRandom.Draw(parameter, random)))];
    }
}
