namespace DistributedTrainer.Numerics;

/// <summary>
/// How many threads the kernels of this process may use. Kernels split work over output tiles and never over
/// a reduction, so results are bitwise identical for every thread count.
/// </summary>
public static class ComputeThreads
{
    private static int s_count = Environment.ProcessorCount;

    // Set on threads that already are one of several parallel workers (micro-shards computed side by side):
    // their kernels share out only this many threads instead of starting Count more each. 0 = no limit.
    [ThreadStatic]
    private static int t_limit;

    /// <summary>Threads kernels may use; default <see cref="Environment.ProcessorCount"/>.</summary>
    public static int Count
    {
        get => s_count;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            s_count = value;
        }
    }

    /// <summary>Threads a kernel called on this thread may use: <see cref="Count"/>, or this thread's limit.</summary>
    internal static int ForCurrentThread => t_limit > 0 ? Math.Min(t_limit, s_count) : s_count;

    /// <summary>Limits kernels called on this thread to <paramref name="limit"/> threads (0 lifts it); returns the previous limit.</summary>
    internal static int LimitCurrentThread(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        int previous = t_limit;
        t_limit = limit;
        return previous;
    }
}
