namespace DistributedTrainer.Numerics;

/// <summary>
/// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011): the value for a key is a pure function
/// of (seed, stream, counter), so a dropout mask for (step, global sample, layer) is the same whichever worker
/// computes it and in whatever order.
/// </summary>
public static class CounterRng
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>Four 32-bit random words for the given seed and 128-bit counter.</summary>
    public static (uint, uint, uint, uint) Philox(ulong seed, ulong counterHigh, ulong counterLow)
    {
        uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
        uint c0 = (uint)counterLow, c1 = (uint)(counterLow >> 32), c2 = (uint)counterHigh, c3 = (uint)(counterHigh >> 32);
        for (int round = 0; round < 10; round++)
        {
            ulong p0 = (ulong)M0 * c0, p1 = (ulong)M1 * c2;
            uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
            uint n1 = (uint)p1;
            uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
            uint n3 = (uint)p0;
            c0 = n0; c1 = n1; c2 = n2; c3 = n3;
            k0 += W0; k1 += W1;
        }
        return (c0, c1, c2, c3);
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with uniform floats in [0, 1) for one (seed, step, sample, layer)
    /// key; element j of the stream is always the same value.
    /// </summary>
    public static void FillUniform(Span<float> destination, ulong seed, long step, long sample, int layer)
    {
        ulong high = ((ulong)(uint)step << 32) | (uint)layer;
        ulong sampleBits = (ulong)sample << 24;
        for (int block = 0; block * 4 < destination.Length; block++)
        {
            var (a, b, c, d) = Philox(seed, high, sampleBits + (ulong)block);
            int at = block * 4;
            destination[at] = ToUnit(a);
            if (at + 1 < destination.Length) destination[at + 1] = ToUnit(b);
            if (at + 2 < destination.Length) destination[at + 2] = ToUnit(c);
            if (at + 3 < destination.Length) destination[at + 3] = ToUnit(d);
        }
    }

    /// <summary>The top 24 bits as a float in [0, 1): every value is exactly representable.</summary>
    public static float ToUnit(uint bits) => (bits >> 8) * (1.0f / 16777216f);
}
