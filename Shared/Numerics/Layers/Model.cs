namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// A network with its parameters: owns the <see cref="ParameterStore"/>, numbers the layers, binds them to
/// their views and runs forward and backward over batches of up to <see cref="MaxBatch"/> rows.
/// </summary>
/// <remarks>
/// Naming: a layer's full name is the names of its enclosing residual or highway blocks and its own, joined by
/// "." ("block1.fc"); <see cref="Sequential"/> containers add nothing, so the root network's name never appears.
/// A tensor's full name is its layer's full name, ".", and its local name ("block1.fc.weight",
/// "hw1.gate.bias"). Full names must be unique. Layout: layers in pre-order, each layer's tensors in
/// declaration order, packed contiguously from offset 0, parameters in <see cref="ParameterStore.Values"/> and
/// buffers (running statistics) in <see cref="ParameterStore.BufferValues"/>.
/// </remarks>
public sealed class Model : IDisposable
{
    private readonly Sequential _network;
    private readonly Layer[] _layers;
    private readonly Dictionary<Layer, string> _fullNames = new(ReferenceEqualityComparer.Instance);
    // Full names of the layers that have one (every layer but the sequential containers).
    private readonly HashSet<string> _layerNames = new(StringComparer.Ordinal);
    private readonly ParameterView[] _parameters;
    // (maxBatch, InputSize) and (maxBatch, OutputSize): backward needs the forward's input and output.
    private readonly AlignedBuffer _input;
    private readonly AlignedBuffer _output;
    private int _lastBatch;

    /// <param name="network">The layers; the model disposes them with itself.</param>
    /// <param name="maxBatch">Largest batch (rows) any forward call will pass; sizes every scratch buffer.</param>
    public Model(Sequential network, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (maxBatch < 1)
        {
            throw new ArgumentException($"Invalid maxBatch: {maxBatch} (must be at least 1).", nameof(maxBatch));
        }
        _network = network;
        MaxBatch = maxBatch;
        var layers = new List<Layer>();
        Walk(network, prefix: "", layers);
        _layers = [.. layers];

        var parameters = new List<ParameterView>();
        var buffers = new List<ParameterView>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        int parameterOffset = 0, bufferOffset = 0;
        var bindings = new List<(Layer Layer, ParameterView[] Parameters, ParameterView[] Buffers)>();
        for (int index = 0; index < _layers.Length; index++)
        {
            var layer = _layers[index];
            layer.Index = index;
            string layerName = _fullNames[layer];
            var own = Lay(layer.DeclareParameters(), layerName, ref parameterOffset, names);
            var ownBuffers = Lay(layer.DeclareBuffers(), layerName, ref bufferOffset, names);
            parameters.AddRange(own);
            buffers.AddRange(ownBuffers);
            bindings.Add((layer, own, ownBuffers));
        }
        _parameters = [.. parameters];
        Store = new ParameterStore(_parameters, [.. buffers]);
        _network.Bind(Store, [], []);
        foreach (var (layer, own, ownBuffers) in bindings)
        {
            layer.Bind(Store, own, ownBuffers);
        }
        _network.Reserve(maxBatch);
        _input = new AlignedBuffer(checked(maxBatch * InputSize));
        _output = new AlignedBuffer(checked(maxBatch * OutputSize));
    }

    /// <summary>A model over <paramref name="layers"/> chained in order.</summary>
    public Model(IReadOnlyList<Layer> layers, int maxBatch)
        : this(new Sequential("model", layers), maxBatch)
    {
    }

    /// <summary>Parameters, their gradients and the buffers, laid out as described on <see cref="Model"/>.</summary>
    public ParameterStore Store { get; }

    /// <summary>Features per input row.</summary>
    public int InputSize => _network.InputSize;

    /// <summary>Features per output row.</summary>
    public int OutputSize => _network.OutputSize;

    /// <summary>Largest batch (rows) a forward call may pass.</summary>
    public int MaxBatch { get; }

    /// <summary>The root network: its children are the model's top-level chain.</summary>
    public Sequential Network => _network;

    /// <summary>Every layer below the root network in pre-order; <see cref="Layer.Index"/> is the position here.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>
    /// Full name of one of this model's layers ("block1.fc"); a sequential body has the name of its block.
    /// See the remarks on naming.
    /// </summary>
    public string FullNameOf(Layer layer) =>
        _fullNames.TryGetValue(layer, out var name)
            ? name
            : throw new ArgumentException($"Layer '{layer.Name}' is not part of this model.", nameof(layer));

    /// <summary>Names the tensor and element at flat parameter index <paramref name="index"/> ("fc1.weight[12]").</summary>
    public string DescribeParameter(int index)
    {
        foreach (var view in Store.Parameters)
        {
            if (index >= view.Offset && index < view.Offset + view.Length)
            {
                return $"{view.Name}[{index - view.Offset}]";
            }
        }
        throw new ArgumentOutOfRangeException(nameof(index), index, $"The model has {Store.Count} parameters.");
    }

    /// <summary>
    /// Fills every parameter and buffer with its initial value. Deterministic: layer i draws from its own
    /// <see cref="Random"/> seeded by a mix of <paramref name="seed"/> and i, so adding a layer at the end
    /// leaves the others' values unchanged.
    /// </summary>
    public void Initialize(ulong seed)
    {
        foreach (var layer in _layers)
        {
            layer.Initialize(new Random(LayerSeed(seed, layer.Index)));
        }
    }

    /// <summary>
    /// input (B, InputSize) -> output (B, OutputSize), returned as a view valid until the next forward call.
    /// </summary>
    public ReadOnlySpan<float> Forward(StepContext context, ReadOnlySpan<float> input, int batch)
    {
        ArgumentNullException.ThrowIfNull(context);
        CheckBatch(batch);
        if (input.Length < batch * InputSize)
        {
            throw new ArgumentException(
                $"Input holds {input.Length} floats; a batch of {batch} rows of {InputSize} features needs {batch * InputSize}.",
                nameof(input));
        }
        Span<float> ownInput = _input.Span[..(batch * InputSize)];
        Span<float> output = _output.Span[..(batch * OutputSize)];
        input[..ownInput.Length].CopyTo(ownInput);
        _network.Forward(context, ownInput, output, batch);
        _lastBatch = batch;
        return output;
    }

    /// <summary>
    /// Adds the gradient of the loss with respect to every parameter into <see cref="ParameterStore.Gradients"/>,
    /// given dL/d(output) (B, OutputSize) of the last <see cref="Forward"/> batch. No input gradient is computed.
    /// </summary>
    public void Backward(StepContext context, ReadOnlySpan<float> outputGradient, int batch) =>
        Backward(context, outputGradient, [], batch);

    /// <summary>As <see cref="Backward(StepContext, ReadOnlySpan{float}, int)"/>, also writing dL/d(input) (B, InputSize).</summary>
    internal void Backward(StepContext context, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (batch != _lastBatch)
        {
            throw new ArgumentException(
                $"Backward got a batch of {batch} rows but the last forward pass had {_lastBatch}.", nameof(batch));
        }
        if (outputGradient.Length < batch * OutputSize)
        {
            throw new ArgumentException(
                $"Output gradient holds {outputGradient.Length} floats; {batch} rows of {OutputSize} need {batch * OutputSize}.",
                nameof(outputGradient));
        }
        _network.Backward(context, _input.Span[..(batch * InputSize)], _output.Span[..(batch * OutputSize)],
            outputGradient[..(batch * OutputSize)], inputGradient, batch);
    }

    /// <summary>Sets every gradient to 0 (before the first micro-batch of a step).</summary>
    public void ZeroGradients() => Store.Gradients.Clear();

    /// <summary>
    /// Marks the parameters of the named layers, and of everything nested in them, as frozen in
    /// <see cref="ParameterStore.Parameters"/>; the optimizer then leaves them unchanged.
    /// </summary>
    /// <param name="layerNames">Full layer names ("fc1", "block1.fc"); each must name a layer of this model.</param>
    public void Freeze(IEnumerable<string> layerNames)
    {
        ArgumentNullException.ThrowIfNull(layerNames);
        var names = layerNames.ToArray();
        foreach (var name in names)
        {
            if (!_layerNames.Contains(name))
            {
                throw new ArgumentException(
                    $"Cannot freeze layer '{name}': the model has no layer of that name (layers: {string.Join(", ", _layerNames)}).",
                    nameof(layerNames));
            }
        }
        for (int i = 0; i < _parameters.Length; i++)
        {
            string owner = _parameters[i].LayerName;
            if (names.Any(name => owner == name || owner.StartsWith(name + ".", StringComparison.Ordinal)))
            {
                _parameters[i] = _parameters[i] with { Frozen = true };
            }
        }
    }

    public void Dispose()
    {
        _network.Dispose();
        Store.Dispose();
        _input.Dispose();
        _output.Dispose();
    }

    private void CheckBatch(int batch)
    {
        if (batch < 1 || batch > MaxBatch)
        {
            throw new ArgumentException(
                $"Invalid batch: {batch} rows (must be in [1, {MaxBatch}], the model's maximum batch set at construction).",
                nameof(batch));
        }
    }

    /// <summary>Pre-order walk below <paramref name="layer"/>, recording each layer's full name.</summary>
    private void Walk(Layer layer, string prefix, List<Layer> layers)
    {
        foreach (var child in layer.Children)
        {
            string childPrefix = prefix;
            if (child is not Sequential)
            {
                if (string.IsNullOrEmpty(child.Name))
                {
                    throw new ArgumentException(
                        $"A {child.GetType().Name} layer has no name (inside '{prefix}'); names label its parameters.");
                }
                childPrefix = prefix.Length == 0 ? child.Name : prefix + "." + child.Name;
                if (!_layerNames.Add(childPrefix))
                {
                    throw new ArgumentException(
                        $"Two layers are named '{childPrefix}'; names must be unique because they name parameters.");
                }
            }
            if (!_fullNames.TryAdd(child, childPrefix))
            {
                throw new ArgumentException($"Layer '{childPrefix}' appears twice in the network.");
            }
            layers.Add(child);
            Walk(child, childPrefix, layers);
        }
    }

    /// <summary>Views for one layer's declarations, packed from <paramref name="offset"/>, which advances.</summary>
    private static ParameterView[] Lay(IReadOnlyList<ParameterDeclaration> declarations, string layerName,
        ref int offset, HashSet<string> names)
    {
        var views = new ParameterView[declarations.Count];
        for (int i = 0; i < views.Length; i++)
        {
            var declaration = declarations[i];
            string name = layerName + "." + declaration.Name;
            if (!names.Add(name))
            {
                throw new ArgumentException($"Two tensors are named '{name}'; names must be unique.");
            }
            views[i] = new ParameterView(name, offset, declaration.Shape, declaration.Role, layerName);
            offset = checked(offset + declaration.Length);
        }
        return views;
    }

    /// <summary>SplitMix64 of the seed and the layer index, folded to a non-negative <see cref="Random"/> seed.</summary>
    private static int LayerSeed(ulong seed, int layerIndex)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL * (ulong)(layerIndex + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & int.MaxValue);
    }
}
