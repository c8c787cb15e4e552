namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// A chain of layers, each fed the previous one's output. It owns the activations between its children and two
/// gradient buffers used in turn on the way back; the last child writes straight into the caller's output.
/// A sequential adds no component to parameter names (see <see cref="Model"/>).
/// </summary>
public sealed class Sequential : Layer
{
    private readonly Layer[] _layers;
    // Output of child i for i < n - 1, (B, layers[i].OutputSize) each.
    private readonly BatchScratch[] _activations;
    // Input gradients of children 1..n-1 alternate between these, (B, widest such input) each.
    private readonly BatchScratch _gradientEven;
    private readonly BatchScratch _gradientOdd;

    /// <param name="name">Container name, used in messages.</param>
    /// <param name="layers">The chain, at least one layer; each must take the previous one's output size.</param>
    public Sequential(string name, IReadOnlyList<Layer> layers)
        : base(name, FirstInputSize(name, layers))
    {
        _layers = [.. layers];
        for (int i = 1; i < _layers.Length; i++)
        {
            if (_layers[i].InputSize != _layers[i - 1].OutputSize)
            {
                throw new ArgumentException(
                    $"Sequential '{name}': layer '{_layers[i].Name}' takes {_layers[i].InputSize} features but the " +
                    $"layer before it, '{_layers[i - 1].Name}', gives {_layers[i - 1].OutputSize}.", nameof(layers));
            }
        }
        _activations = [.. _layers[..^1].Select(layer => new BatchScratch(layer.OutputSize))];
        int widestInner = _layers.Skip(1).Select(layer => layer.InputSize).DefaultIfEmpty(0).Max();
        _gradientEven = new BatchScratch(widestInner);
        _gradientOdd = new BatchScratch(widestInner);
    }

    public override int OutputSize => _layers[^1].OutputSize;

    public override IReadOnlyList<Layer> Children => _layers;

    public override void Reserve(int maxBatch)
    {
        foreach (var activation in _activations)
        {
            activation.Reserve(maxBatch);
        }
        _gradientEven.Reserve(maxBatch);
        _gradientOdd.Reserve(maxBatch);
        foreach (var layer in _layers)
        {
            layer.Reserve(maxBatch);
        }
    }

    // input (B, layers[0].InputSize) -> output (B, layers[^1].OutputSize)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        for (int i = 0; i < _layers.Length; i++)
        {
            _layers[i].Forward(context, InputOf(i, input, batch), OutputOf(i, output, batch), batch);
        }
    }

    // outputGradient (B, OutputSize) -> inputGradient (B, InputSize)
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        ReadOnlySpan<float> gradient = outputGradient;
        for (int i = _layers.Length - 1; i >= 0; i--)
        {
            // forward: a_i = layer_i(a_{i-1})  =>  da_{i-1} = layer_i.Backward(da_i)
            Span<float> previousGradient = i == 0
                ? inputGradient
                : (i % 2 == 0 ? _gradientEven : _gradientOdd).Rows(batch, _layers[i].InputSize);
            _layers[i].Backward(context, InputOf(i, input, batch), OutputOf(i, output, batch), gradient,
                previousGradient, batch);
            gradient = previousGradient;
        }
    }

    private ReadOnlySpan<float> InputOf(int i, ReadOnlySpan<float> input, int batch) =>
        i == 0 ? input : _activations[i - 1].Rows(batch);

    private Span<float> OutputOf(int i, Span<float> output, int batch) =>
        i == _layers.Length - 1 ? output : _activations[i].Rows(batch);

    // Backward receives the caller's output as read-only; the last child only reads it there.
    private ReadOnlySpan<float> OutputOf(int i, ReadOnlySpan<float> output, int batch) =>
        i == _layers.Length - 1 ? output : _activations[i].Rows(batch);

    private static int FirstInputSize(string name, IReadOnlyList<Layer> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0)
        {
            throw new ArgumentException($"Sequential '{name}' has no layers (needs at least one).", nameof(layers));
        }
        return layers[0].InputSize;
    }

    protected override void Dispose(bool disposing)
    {
        foreach (var activation in _activations)
        {
            activation.Dispose();
        }
        _gradientEven.Dispose();
        _gradientOdd.Dispose();
        foreach (var layer in _layers)
        {
            layer.Dispose();
        }
        base.Dispose(disposing);
    }
}
