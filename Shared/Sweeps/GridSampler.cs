using Google.Protobuf.WellKnownTypes;

namespace DistributedTrainer.Sweeps;

/// <summary>
/// Every combination of the parameters' listed values, trial i being the i-th in mixed-radix order (the last parameter
/// varies fastest): each point exactly once over the first <see cref="Size"/> trials.
/// </summary>
public sealed class GridSampler(IReadOnlyList<SweepParameter> parameters) : ITrialSampler
{
    /// <summary>The number of points of the grid over <paramref name="parameters"/> (saturating at <see cref="long.MaxValue"/>).</summary>
    public static long Size(IReadOnlyList<SweepParameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        long size = 1;
        foreach (var parameter in parameters)
        {
            int count = Math.Max(1, parameter.Values.Count);
            size = size > long.MaxValue / count ? long.MaxValue : size * count;
        }
        return size;
    }

    /// <inheritdoc />
    public int TrialsNeededBefore(int trial) => 0;

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="trial"/> is beyond the grid.</exception>
    public IReadOnlyList<Value> Sample(int trial, IReadOnlyList<TrialObservation> ended)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trial);
        if (trial >= Size(parameters))
        {
            throw new ArgumentOutOfRangeException(nameof(trial), trial, $"Invalid trial {trial}: the grid has {Size(parameters)} points");
        }
        var point = new Value[parameters.Count];
        long rest = trial;
        for (int i = parameters.Count - 1; i >= 0; i--)
        {
            int count = parameters[i].Values.Count;
            point[i] = parameters[i].Values[(int)(rest % count)];
            rest /= count;
        }
        return point;
    }
}
