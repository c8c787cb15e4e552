namespace DistributedTrainer.Data;

/// <summary>
/// The training file's samples divided into a training part and a held-out validation part: a seeded shuffle
/// (its own random stream, independent of the epoch permutations) takes round(fraction * count) samples for
/// validation. Both lists are sorted so the split reads the file in order.
/// </summary>
/// <param name="Train">Indices kept for training, ascending.</param>
/// <param name="Validation">Indices held out, ascending; disjoint from <paramref name="Train"/>.</param>
public sealed record ValidationSplit(int[] Train, int[] Validation)
{
    internal const ulong Domain = 2;

    /// <summary>Splits samples 0..<paramref name="count"/>-1.</summary>
    /// <param name="count">Samples in the training file.</param>
    /// <param name="fraction">Share held out, in [0, 1); 0 gives an empty validation list.</param>
    /// <param name="seed">The job seed; the same seed always gives the same split.</param>
    public static ValidationSplit Create(int count, double fraction, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (!(fraction >= 0 && fraction < 1))
        {
            throw new ArgumentException($"Invalid validation fraction: {fraction} (must be in [0, 1))", nameof(fraction));
        }
        int held = (int)Math.Round(fraction * count, MidpointRounding.AwayFromZero);
        if (held == count && count > 0)
        {
            held = count - 1;
        }
        var order = new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
        }
        EpochPermutation.Shuffle(order, new SplitMix64(seed, Domain, 0));
        var validation = order[..held];
        var train = order[held..];
        Array.Sort(validation);
        Array.Sort(train);
        return new ValidationSplit(train, validation);
    }
}
