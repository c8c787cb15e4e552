using DistributedTrainer.Numerics.Layers;

namespace DistributedTrainer.Numerics.Optimizers;

/// <summary>
/// Updates parameters from averaged gradients. The base class owns the loop over parameter tensors (skipping
/// frozen ones, choosing weight decay by role), the step counter and the named state vectors that are saved
/// in checkpoints; a subclass writes one update rule over one tensor.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<string, float[]> _state = new(StringComparer.Ordinal);

    /// <param name="parameterCount">Length of the flat parameter vector.</param>
    /// <param name="stateNames">Per-element state vectors the rule keeps ("exp_avg", "exp_avg_sq").</param>
    protected Optimizer(int parameterCount, params string[] stateNames)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        ParameterCount = parameterCount;
        foreach (var name in stateNames)
        {
            _state[name] = new float[parameterCount];
        }
    }

    /// <summary>Length of the flat parameter vector this optimizer updates.</summary>
    public int ParameterCount { get; }

    /// <summary>Completed updates; Adam's bias correction uses it (the first update is step 1).</summary>
    public long StepCount { get; private set; }

    /// <summary>Decoupled weight decay applied to <see cref="ParameterRole.Weight"/> tensors (0 = none).</summary>
    public abstract float WeightDecay { get; }

    /// <summary>Per-element state vectors by name, same layout as the parameters.</summary>
    public IReadOnlyDictionary<string, float[]> State => _state;

    /// <summary>The state vector called <paramref name="name"/>.</summary>
    protected float[] StateVector(string name) => _state[name];

    /// <summary>
    /// One update of every non-frozen tensor: parameters (P) updated from gradients (P), which are already the
    /// mean over the global batch with regularization and clipping applied.
    /// </summary>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, IReadOnlyList<ParameterView> views)
    {
        if (parameters.Length != ParameterCount || gradients.Length != ParameterCount)
        {
            throw new ArgumentException(
                $"Optimizer holds {ParameterCount} parameters but got {parameters.Length} values and {gradients.Length} gradients.");
        }
        StepCount++;
        // An index loop: foreach over the interface would allocate an enumerator on every step.
        for (int index = 0; index < views.Count; index++)
        {
            var view = views[index];
            if (view.Frozen)
            {
                continue;
            }
            float decay = view.Role == ParameterRole.Weight ? WeightDecay : 0f;
            Update(parameters.Slice(view.Offset, view.Length), gradients.Slice(view.Offset, view.Length),
                view.Offset, learningRate, decay);
        }
    }

    /// <summary>
    /// The update rule over one tensor. <paramref name="offset"/> locates the tensor in the state vectors.
    /// </summary>
    protected abstract void Update(Span<float> parameters, ReadOnlySpan<float> gradients, int offset, float learningRate, float weightDecay);

    /// <summary>Restores the step counter and state vectors saved from an optimizer of the same kind and size.</summary>
    public void LoadState(long stepCount, IReadOnlyDictionary<string, float[]> state)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        foreach (var (name, vector) in _state)
        {
            if (!state.TryGetValue(name, out var saved))
            {
                throw new InvalidDataException($"Optimizer state '{name}' is missing from the checkpoint.");
            }
            if (saved.Length != vector.Length)
            {
                throw new InvalidDataException(
                    $"Optimizer state '{name}' has {saved.Length} values; the model has {vector.Length} parameters.");
            }
        }
        foreach (var (name, vector) in _state)
        {
            state[name].CopyTo(vector, 0);
        }
        StepCount = stepCount;
    }
}
