using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// A job's per-step curves over its whole run in constant memory: every step is offered, at most
/// <see cref="Capacity"/> are kept. Kept steps lie at least <see cref="Stride"/> steps apart (1 at first); when they
/// fill the capacity the stride doubles and every other one goes, so they stay evenly spread from the first step to
/// the newest and the curve keeps its shape however long the run. The newest step is always kept as well, so the
/// history ends exactly where the live step events go on. The grain uses it in its turns only: not thread-safe.
/// </summary>
internal sealed class DownsampledSteps
{
    /// <summary>Points kept by default: about as many as a chart is wide in pixels.</summary>
    public const int DefaultCapacity = 1000;

    // Evenly spaced, oldest first, at most Capacity - 1: the newest step, when it falls between two, is _newest.
    private readonly List<StepMetrics> _kept = [];
    private StepMetrics? _newest;

    /// <param name="capacity">The most points kept (at least 3; default <see cref="DefaultCapacity"/>).</param>
    public DownsampledSteps(int capacity = DefaultCapacity)
    {
        if (capacity < 3)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"Invalid capacity: {capacity} (must be at least 3)");
        }
        Capacity = capacity;
    }

    /// <summary>The most points kept.</summary>
    public int Capacity { get; }

    /// <summary>The least number of steps between two kept points: 1, doubled each time the points fill the capacity.</summary>
    public long Stride { get; private set; } = 1;

    /// <summary>Points kept now.</summary>
    public int Count => _kept.Count + (_newest is null ? 0 : 1);

    /// <summary>
    /// Offers one step (a copy is kept, without its per-tensor health). A step not after the newest one means the run
    /// went back (it re-runs those steps): the points from that step on are forgotten, so the steps stay in order.
    /// </summary>
    public void Add(StepMetrics step)
    {
        var point = step.Clone();
        point.Tensors.Clear();
        if (Newest is { } newest && point.Step <= newest.Step)
        {
            _kept.RemoveAll(kept => kept.Step >= point.Step);
        }
        _newest = null;
        if (_kept.Count > 0 && point.Step - _kept[^1].Step < Stride)
        {
            _newest = point;
            return;
        }
        if (_kept.Count == Capacity - 1)
        {
            Thin();
            if (point.Step - _kept[^1].Step < Stride)
            {
                _newest = point;
                return;
            }
        }
        _kept.Add(point);
    }

    /// <summary>The kept points, oldest first, as the history event a new watcher gets (copies it may keep).</summary>
    public StepHistory ToHistory()
    {
        var history = new StepHistory();
        history.Steps.AddRange(_kept.Select(point => point.Clone()));
        if (_newest is { } newest)
        {
            history.Steps.Add(newest.Clone());
        }
        return history;
    }

    private StepMetrics? Newest => _newest ?? (_kept.Count > 0 ? _kept[^1] : null);

    // Keeps the points at even positions (the first among them) and doubles the stride they now lie apart by.
    private void Thin()
    {
        for (int i = 0; 2 * i < _kept.Count; i++)
        {
            _kept[i] = _kept[2 * i];
        }
        _kept.RemoveRange((_kept.Count + 1) / 2, _kept.Count / 2);
        Stride *= 2;
    }
}
