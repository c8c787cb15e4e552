using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training;

/// <summary>
/// The deadline of a cluster step, from the job's own pace: a multiple of the median of the recent step times,
/// kept within a floor and a ceiling (<see cref="FaultToleranceSpec"/>). A median rather than a mean, so one slow
/// step (a checkpoint, a garbage collection, a re-run after a failure) does not stretch every later deadline.
/// </summary>
public sealed class StepDeadlines
{
    /// <summary>Default multiple of the median step time.</summary>
    public const float DefaultFactor = 4f;

    /// <summary>Default shortest deadline, in seconds.</summary>
    public const float DefaultFloorSeconds = 2f;

    /// <summary>Default longest deadline, in seconds.</summary>
    public const float DefaultCeilingSeconds = 60f;

    // Steps the median looks back over, and how many it needs before the ceiling gives way to it.
    private const int Window = 31;
    private const int MinimumSamples = 3;

    private readonly double[] _recent = new double[Window];
    private readonly double[] _sorted = new double[Window];
    private int _count;
    private int _next;

    public StepDeadlines(double factor, TimeSpan floor, TimeSpan ceiling)
    {
        if (!(factor >= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "Invalid deadline factor (must be >= 1)");
        }
        if (floor < TimeSpan.Zero || ceiling < floor)
        {
            throw new ArgumentOutOfRangeException(nameof(ceiling), ceiling, $"Invalid deadlines: ceiling {ceiling} below floor {floor}");
        }
        Factor = factor;
        Floor = floor;
        Ceiling = ceiling;
    }

    /// <summary>Multiple of the median step time.</summary>
    public double Factor { get; }

    /// <summary>Shortest deadline.</summary>
    public TimeSpan Floor { get; }

    /// <summary>Longest deadline, and the deadline until enough steps were timed.</summary>
    public TimeSpan Ceiling { get; }

    /// <summary>The deadlines a spec asks for; unset fields take the defaults.</summary>
    public static StepDeadlines FromSpec(FaultToleranceSpec? spec)
    {
        double factor = spec is { DeadlineFactor: > 0f } ? spec.DeadlineFactor : DefaultFactor;
        double floor = spec is { DeadlineFloorSeconds: > 0f } ? spec.DeadlineFloorSeconds : DefaultFloorSeconds;
        double ceiling = spec is { DeadlineCeilingSeconds: > 0f } ? spec.DeadlineCeilingSeconds : Math.Max(DefaultCeilingSeconds, floor);
        return new StepDeadlines(factor, TimeSpan.FromSeconds(floor), TimeSpan.FromSeconds(ceiling));
    }

    /// <summary>Median of the recent step times; null before any step was timed.</summary>
    public TimeSpan? Median => _count == 0 ? null : TimeSpan.FromSeconds(ComputeMedian());

    /// <summary>The deadline for the next step.</summary>
    public TimeSpan Current
    {
        get
        {
            if (_count < MinimumSamples)
            {
                return Ceiling;
            }
            double seconds = Math.Clamp(ComputeMedian() * Factor, Floor.TotalSeconds, Ceiling.TotalSeconds);
            return TimeSpan.FromSeconds(seconds);
        }
    }

    /// <summary>Adds the duration of a completed step.</summary>
    public void Record(TimeSpan stepTime)
    {
        _recent[_next] = Math.Max(0, stepTime.TotalSeconds);
        _next = (_next + 1) % Window;
        _count = Math.Min(_count + 1, Window);
    }

    private double ComputeMedian()
    {
        var sorted = _sorted.AsSpan(0, _count);
        _recent.AsSpan(0, _count).CopyTo(sorted);
        sorted.Sort();
        return _count % 2 == 1 ? sorted[_count / 2] : (sorted[_count / 2 - 1] + sorted[_count / 2]) / 2;
    }
}
