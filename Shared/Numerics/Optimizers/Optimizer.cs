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
        StateLength = parameterCount;
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

    /// <summary>
    /// Per-element state vectors by name, same layout as the parameters: element i of a vector is parameter
    /// <see cref="StateStart"/> + i's.
    /// </summary>
    public IReadOnlyDictionary<string, float[]> State => _state;

    /// <summary>The first parameter the state vectors hold: 0, unless <see cref="KeepStateOf"/> narrowed them to a segment.</summary>
    public int StateStart { get; private set; }

    /// <summary>How many parameters the state vectors hold: <see cref="ParameterCount"/>, unless narrowed to a segment.</summary>
    public int StateLength { get; private set; }

    private int StateEnd => StateStart + StateLength;

    private bool Narrowed => StateStart != 0 || StateLength != ParameterCount;

    /// <summary>The whole state vector called <paramref name="name"/> (for initial values, before any narrowing).</summary>
    protected float[] StateVector(string name) => _state[name];

    /// <summary>The state called <paramref name="name"/> of the parameters [<paramref name="offset"/>, offset + length).</summary>
    protected Span<float> StateOf(string name, int offset, int length) => _state[name].AsSpan(offset - StateStart, length);

    /// <summary>
    /// Narrows the state vectors to the parameters [<paramref name="start"/>, start + <paramref name="length"/>), keeping
    /// their values: a cluster worker updates only its ring segment (<see cref="StepSegment"/>), so it holds that segment's
    /// state, not the model's. <see cref="Step"/> then refuses, and <see cref="StepSegment"/> takes segments within the range.
    /// </summary>
    public void KeepStateOf(int start, int length)
    {
        if (Narrowed)
        {
            throw new InvalidOperationException($"The optimizer's state was already narrowed to [{StateStart}, {StateEnd})");
        }
        if (start < 0 || length < 0 || (long)start + length > ParameterCount)
        {
            throw new ArgumentException($"Invalid range: [{start}, {(long)start + length}) (the optimizer holds {ParameterCount} parameters)");
        }
        foreach (var name in _state.Keys.ToArray())
        {
            _state[name] = _state[name].AsSpan(start, length).ToArray();
        }
        (StateStart, StateLength) = (start, length);
    }

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
        if (Narrowed)
        {
            throw new InvalidOperationException($"The optimizer holds the state of [{StateStart}, {StateEnd}) only: update that segment with StepSegment");
        }
        StepCount++;
        UpdateRange(parameters, gradients, 0, learningRate, views);
    }

    /// <summary>
    /// The update <see cref="Step"/> makes, over the elements [<paramref name="start"/>, start + length) of the flat
    /// vector only, as update number <paramref name="stepCount"/>: a worker updates the segment it holds with it. Every
    /// rule is element-wise and its vector and scalar paths compute the same operations, so the segments of a
    /// partition updated this way hold bit for bit what one <see cref="Step"/> over the whole vector gives.
    /// </summary>
    /// <param name="parameters">The segment's parameters, updated in place.</param>
    /// <param name="gradients">The segment's gradients (mean, regularized and clipped).</param>
    /// <param name="start">Index of the segment's first element in the flat vector (and the state vectors).</param>
    /// <param name="stepCount">The update's number, from 1 (the step counter after the whole-vector <see cref="Step"/>).</param>
    public void StepSegment(Span<float> parameters, ReadOnlySpan<float> gradients, int start, long stepCount, float learningRate,
        IReadOnlyList<ParameterView> views)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stepCount, 1);
        if (start < StateStart || gradients.Length != parameters.Length || (long)start + parameters.Length > StateEnd)
        {
            throw new ArgumentException(
                $"Invalid segment: {parameters.Length} values and {gradients.Length} gradients at {start} (the optimizer holds the state of [{StateStart}, {StateEnd})).");
        }
        StepCount = stepCount;
        UpdateRange(parameters, gradients, start, learningRate, views);
    }

    // Each non-frozen tensor's part within [start, start + parameters.Length).
    private void UpdateRange(Span<float> parameters, ReadOnlySpan<float> gradients, int start, float learningRate, IReadOnlyList<ParameterView> views)
    {
        int end = start + parameters.Length;
        // An index loop: foreach over the interface would allocate an enumerator on every step.
        for (int index = 0; index < views.Count; index++)
        {
            var view = views[index];
            int first = Math.Max(view.Offset, start);
            int last = Math.Min(view.Offset + view.Length, end);
            if (view.Frozen || first >= last)
            {
                continue;
            }
            float decay = view.Role == ParameterRole.Weight ? WeightDecay : 0f;
            Update(parameters[(first - start)..(last - start)], gradients[(first - start)..(last - start)], first, learningRate, decay);
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
