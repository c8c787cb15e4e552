namespace DistributedTrainer.Data;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014): a 64-bit counter passed through a strong mixer. The starting state
/// is a hash of (seed, domain, index), so every (domain, index) pair is an independent stream that any process
/// can recompute without replaying the ones before it.
/// </summary>
internal struct SplitMix64
{
    private const ulong Golden = 0x9E3779B97F4A7C15;
    private const ulong SecondGolden = unchecked(2 * Golden);
    private ulong _state;

    /// <param name="seed">The job seed.</param>
    /// <param name="domain">Separates uses (the epoch permutation, the validation split).</param>
    /// <param name="index">The stream within the domain (the epoch).</param>
    public SplitMix64(ulong seed, ulong domain, ulong index)
    {
        _state = Mix(Mix(seed ^ Mix(domain + Golden)) ^ Mix(index + SecondGolden));
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        _state += Golden;
        return Mix(_state);
    }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>), unbiased (Lemire 2019, multiply and reject).</summary>
    public int NextBelow(int bound)
    {
        ulong range = (ulong)bound;
        ulong high = Math.BigMul(Next(), range, out ulong low);
        if (low < range)
        {
            ulong threshold = (0 - range) % range;
            while (low < threshold)
            {
                high = Math.BigMul(Next(), range, out low);
            }
        }
        return (int)high;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
