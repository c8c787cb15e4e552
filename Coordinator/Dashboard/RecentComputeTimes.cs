namespace DistributedTrainer.Coordinator.Dashboard;

/// <summary>
/// The last <see cref="Capacity"/> step compute times of one worker in one job, in seconds: a bounded ring whose median
/// the workers page shows, so one slow step (a collection, a page fault) does not swing the figure.
/// </summary>
internal sealed class RecentComputeTimes
{
    /// <summary>How many of the latest steps the median covers.</summary>
    public const int Capacity = 16;

    private readonly double[] _seconds = new double[Capacity];
    private readonly Lock _gate = new();
    private int _count;
    private int _next;

    /// <summary>Adds one step's compute time, dropping the oldest once <see cref="Capacity"/> are held.</summary>
    public void Add(double seconds)
    {
        lock (_gate)
        {
            _seconds[_next] = seconds;
            _next = (_next + 1) % Capacity;
            _count = Math.Min(_count + 1, Capacity);
        }
    }

    /// <summary>The median of the times held (the upper one of the middle two for an even count).</summary>
    public double Median()
    {
        double[] held;
        lock (_gate)
        {
            held = _seconds[.._count];
        }
        Array.Sort(held);
        return held[held.Length / 2];
    }
}
