using DistributedTrainer.Training.Collective;

namespace DistributedTrainer.Worker.Faults;

/// <summary>
/// The gradient sums of the <c>compute=US</c> stand-in, shaped like a training step's, so that the ring carries what a
/// training step carries (its reduce-scatter packs each block of sums into the bytes its widest value needs, so zeros
/// would cross almost free): per block of 256, a twelfth all zero, three quarters within int32 (magnitudes 2^24 to
/// 2^30), a sixth up to 2^35, as the reference MLP's sums at batch 128, which pack to 3.84 bytes per element
/// (docs/BENCHMARKS.md).
/// </summary>
internal static class StandInGradients
{
    /// <summary><paramref name="length"/> sums drawn from <paramref name="seed"/>: the same for the same seed.</summary>
    public static long[] Create(int length, int seed)
    {
        var random = new Random(seed);
        long[] sums = new long[length];
        for (int start = 0; start < length; start += FixedPointBlocks.BlockLength)
        {
            int bits = random.Next(12) switch
            {
                0 => 0,
                < 10 => random.Next(24, 31),
                _ => random.Next(32, 36),
            };
            for (int i = start; i < Math.Min(length, start + FixedPointBlocks.BlockLength); i++)
            {
                sums[i] = bits == 0 ? 0 : random.NextInt64(-(1L << bits), 1L << bits);
            }
        }

        return sums;
    }
}
