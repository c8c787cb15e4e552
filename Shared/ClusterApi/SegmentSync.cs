using DistributedTrainer.Numerics.Optimizers;
using DistributedTrainer.Training.Collective;

namespace DistributedTrainer.ClusterApi;

/// <summary>
/// What a Step's parameter pieces cover for one rank (cluster.proto, ParameterPiece.offset): the rank's segment of
/// the parameter vector and, when the header asks for optimizer state, the same elements of every state vector after
/// it, in the ordinal order of the state's names. The coordinator writes the pieces from these parts and the worker
/// copies them into its own, so both ends read the layout from here.
/// </summary>
public static class SegmentSync
{
    /// <summary>One contiguous run of the pieces: elements [Start, Start + Length) of the array Vector, at Offset in the pieces' address space.</summary>
    public readonly record struct Part(long Offset, float[] Vector, int Start, int Length);

    /// <summary>The names of <paramref name="optimizer"/>'s state vectors in the order the pieces carry them.</summary>
    public static string[] StateNames(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return [.. optimizer.State.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The parts rank <paramref name="rank"/> of <paramref name="worldSize"/> gets: its segment of
    /// <paramref name="parameters"/> (trainable values first, <paramref name="optimizer"/>'s parameter count of them, then
    /// buffers) and, when <paramref name="optimizer"/> is given, its trainable elements of each state vector.
    /// Empty parts are left out.
    /// </summary>
    public static IReadOnlyList<Part> Parts(float[] parameters, Optimizer? optimizer, int worldSize, int rank)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var (start, length) = RingSegments.Range(parameters.Length, worldSize, rank);
        var parts = new List<Part>();
        if (length > 0)
        {
            parts.Add(new Part(start, parameters, start, length));
        }
        if (optimizer is null)
        {
            return parts;
        }
        int trainable = optimizer.ParameterCount;
        if (trainable > parameters.Length)
        {
            throw new ArgumentException($"Invalid optimizer: it holds {trainable} parameters, more than the vector's {parameters.Length}", nameof(optimizer));
        }
        int end = Math.Min(start + length, trainable);
        if (start < end && (start < optimizer.StateStart || end > optimizer.StateStart + optimizer.StateLength))
        {
            throw new ArgumentException(
                $"Invalid optimizer: it holds the state of [{optimizer.StateStart}, {optimizer.StateStart + optimizer.StateLength}), not of rank {rank}'s [{start}, {end})",
                nameof(optimizer));
        }
        long offset = parameters.Length;
        foreach (string name in StateNames(optimizer))
        {
            if (start < end)
            {
                // The state vectors may hold a segment only (a worker's): index them from their own start.
                parts.Add(new Part(offset + start, optimizer.State[name], start - optimizer.StateStart, end - start));
            }
            offset += trainable;
        }
        return parts;
    }
}
