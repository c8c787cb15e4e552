namespace DistributedTrainer.Numerics;

/// <summary>
/// How many threads the kernels of this process may use. Kernels split work over output tiles and never over
/// a reduction, so results are bitwise identical for every thread count.
/// </summary>
public static class ComputeThreads
{
    private static int s_count = Environment.ProcessorCount;

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
}
