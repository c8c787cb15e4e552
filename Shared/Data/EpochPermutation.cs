namespace DistributedTrainer.Data;

/// <summary>
/// The order in which an epoch visits the training samples: a Fisher–Yates shuffle driven by SplitMix64 keyed
/// by (seed, epoch). A pure function, so the coordinator, every worker and a resumed job all derive the same
/// order without storing or sending it, and a different one for every epoch.
/// </summary>
public static class EpochPermutation
{
    internal const ulong Domain = 1;

    /// <summary>A permutation of 0..<paramref name="count"/>-1 for <paramref name="epoch"/> (0-based).</summary>
    public static int[] Create(int count, ulong seed, long epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var order = new int[count];
        Fill(order, seed, epoch);
        return order;
    }

    /// <summary>Writes the permutation of 0..destination.Length-1 for <paramref name="epoch"/> into <paramref name="destination"/>.</summary>
    public static void Fill(Span<int> destination, ulong seed, long epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = i;
        }
        Shuffle(destination, new SplitMix64(seed, Domain, (ulong)epoch));
    }

    /// <summary>Fisher–Yates: position i takes a uniform pick among positions 0..i.</summary>
    internal static void Shuffle(Span<int> values, SplitMix64 random)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = random.NextBelow(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
