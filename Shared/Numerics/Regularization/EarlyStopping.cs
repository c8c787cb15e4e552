using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Numerics.Regularization;

/// <summary>
/// Stops training after <see cref="Patience"/> epochs without an improvement of more than
/// <see cref="MinDelta"/>, keeping a copy of the parameters and buffers of the best epoch so they can be restored.
/// </summary>
public sealed class EarlyStopping
{
    private float[]? _bestParameters;
    private float[]? _bestBuffers;

    /// <param name="goal">Whether the monitored metric improves by going down (loss) or up (accuracy).</param>
    /// <param name="patience">Epochs without improvement before <see cref="ShouldStop"/> turns true; >= 1.</param>
    /// <param name="minDelta">Smallest change that counts as an improvement, in the metric's units; finite, >= 0.</param>
    public EarlyStopping(MetricGoal goal, int patience, double minDelta)
    {
        if (goal is not (MetricGoal.Minimize or MetricGoal.Maximize))
        {
            throw new ArgumentOutOfRangeException(nameof(goal), $"Invalid goal: {goal} (must be Minimize or Maximize)");
        }
        if (patience < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(patience), $"Invalid patience: {patience} (must be >= 1)");
        }
        if (!double.IsFinite(minDelta) || minDelta < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(minDelta), $"Invalid minDelta: {minDelta} (must be finite and >= 0)");
        }
        Goal = goal;
        Patience = patience;
        MinDelta = minDelta;
        BestValue = Worst;
    }

    /// <summary>
    /// Early stopping for a job spec: null when the spec is absent or its patience is 0 (disabled). An
    /// unspecified metric means the validation loss.
    /// </summary>
    public static EarlyStopping? Create(EarlyStoppingSpec? spec)
    {
        if (spec is null || spec.Patience == 0)
        {
            return null;
        }
        var goal = spec.Metric switch
        {
            EarlyStoppingSpec.Types.Metric.Unspecified or EarlyStoppingSpec.Types.Metric.ValidationLoss => MetricGoal.Minimize,
            EarlyStoppingSpec.Types.Metric.ValidationAccuracy => MetricGoal.Maximize,
            _ => throw new ArgumentException(
                $"Invalid early stopping metric: {spec.Metric} (must be VALIDATION_LOSS or VALIDATION_ACCURACY)", nameof(spec)),
        };
        return new EarlyStopping(goal, spec.Patience, spec.MinDelta);
    }

    /// <summary>Whether lower or higher values are better.</summary>
    public MetricGoal Goal { get; }

    /// <summary>Epochs without improvement tolerated before stopping.</summary>
    public int Patience { get; }

    /// <summary>Smallest change that counts as an improvement.</summary>
    public double MinDelta { get; }

    /// <summary>Epoch of the best value so far; -1 before the first observation.</summary>
    public int BestEpoch { get; private set; } = -1;

    /// <summary>Best value so far; +∞ (minimize) or −∞ (maximize) before the first observation.</summary>
    public double BestValue { get; private set; }

    /// <summary>Observations since the last improvement.</summary>
    public int EpochsWithoutImprovement { get; private set; }

    /// <summary>True once <see cref="Patience"/> observations in a row brought no improvement.</summary>
    public bool ShouldStop => EpochsWithoutImprovement >= Patience;

    private double Worst => Goal == MetricGoal.Minimize ? double.PositiveInfinity : double.NegativeInfinity;

    /// <summary>
    /// Records the metric of <paramref name="epoch"/>. Returns true when it beats the best by more than
    /// <see cref="MinDelta"/> (the first value that is not NaN always does), and then copies the parameters and buffers.
    /// A NaN value never improves.
    /// </summary>
    public bool Observe(int epoch, double value, ReadOnlySpan<float> parameters, ReadOnlySpan<float> buffers)
    {
        if (epoch < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(epoch), $"Invalid epoch: {epoch} (must be >= 0)");
        }
        bool improved = BestEpoch < 0
            ? !double.IsNaN(value)
            : Goal == MetricGoal.Minimize ? value < BestValue - MinDelta : value > BestValue + MinDelta;
        if (!improved)
        {
            EpochsWithoutImprovement++;
            return false;
        }
        _bestParameters = CopyInto(_bestParameters, parameters, nameof(parameters));
        _bestBuffers = CopyInto(_bestBuffers, buffers, nameof(buffers));
        BestEpoch = epoch;
        BestValue = value;
        EpochsWithoutImprovement = 0;
        return true;
    }

    /// <summary>Writes the parameters and buffers of the best epoch back.</summary>
    /// <exception cref="InvalidOperationException">Nothing was observed yet.</exception>
    public void RestoreBest(Span<float> parameters, Span<float> buffers)
    {
        if (_bestParameters is null || _bestBuffers is null)
        {
            throw new InvalidOperationException("Early stopping has no best epoch to restore: no metric value was observed yet.");
        }
        CheckLength(_bestParameters, parameters.Length, nameof(parameters));
        CheckLength(_bestBuffers, buffers.Length, nameof(buffers));
        _bestParameters.CopyTo(parameters);
        _bestBuffers.CopyTo(buffers);
    }

    /// <summary>A copy of the counters and the best parameters and buffers, for a checkpoint.</summary>
    public EarlyStoppingState SaveState() => new(BestEpoch, BestValue, EpochsWithoutImprovement,
        _bestParameters?.ToArray(), _bestBuffers?.ToArray());

    /// <summary>Restores what <see cref="SaveState"/> returned (the arrays are copied).</summary>
    /// <exception cref="InvalidDataException">The state is inconsistent.</exception>
    public void LoadState(EarlyStoppingState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.EpochsWithoutImprovement < 0)
        {
            throw new InvalidDataException(
                $"Invalid early stopping state: EpochsWithoutImprovement {state.EpochsWithoutImprovement} (must be >= 0)");
        }
        bool observed = state.BestEpoch >= 0;
        bool bothCopies = state.BestParameters is not null && state.BestBuffers is not null;
        bool noCopies = state.BestParameters is null && state.BestBuffers is null;
        if (state.BestEpoch < -1 || (observed ? !bothCopies : !noCopies))
        {
            throw new InvalidDataException(
                $"Invalid early stopping state: BestEpoch {state.BestEpoch} must be -1 without best copies, or >= 0 with both parameters and buffers.");
        }
        if (observed && double.IsNaN(state.BestValue))
        {
            throw new InvalidDataException("Invalid early stopping state: BestValue NaN (must be a number once an epoch was observed)");
        }
        BestEpoch = state.BestEpoch;
        BestValue = observed ? state.BestValue : Worst;
        EpochsWithoutImprovement = state.EpochsWithoutImprovement;
        _bestParameters = state.BestParameters?.ToArray();
        _bestBuffers = state.BestBuffers?.ToArray();
    }

    private static float[] CopyInto(float[]? copy, ReadOnlySpan<float> source, string name)
    {
        if (copy is null)
        {
            return source.ToArray();
        }
        CheckLength(copy, source.Length, name);
        source.CopyTo(copy);
        return copy;
    }

    private static void CheckLength(float[] copy, int length, string name)
    {
        if (copy.Length != length)
        {
            throw new ArgumentException($"Invalid {name} length: {length} (the best copy holds {copy.Length})", name);
        }
    }
}
