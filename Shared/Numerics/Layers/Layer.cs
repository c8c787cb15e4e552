namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// One differentiable stage of a network working on a batch of row vectors: input (B, InputSize) to output
/// (B, OutputSize). Parameters live in the model's <see cref="ParameterStore"/>; a layer declares them,
/// receives their views once, and reads them through the store on each pass.
/// </summary>
/// <remarks>
/// Contract: <see cref="Backward"/> runs after the <see cref="Forward"/> of the same batch with the same
/// input and output spans, so a layer may keep what it needs (masks, normalized values) in scratch sized by
/// <see cref="Reserve"/>. Backward adds (+=) into parameter gradients, because gradients of several
/// micro-batches accumulate before an optimizer step, and overwrites the input gradient. An empty input
/// gradient span means nobody needs it (the model's first layer): the layer then computes only parameter
/// gradients. Scratch buffers are native memory, freed by <see cref="Dispose()"/>; a composite layer disposes
/// its children.
/// </remarks>
public abstract class Layer : IDisposable
{
    protected Layer(string name, int inputSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        Name = name;
        InputSize = inputSize;
    }

    /// <summary>Name used for parameter names ("fc1" gives "fc1.weight") and freezing.</summary>
    public string Name { get; }

    /// <summary>Features per sample in.</summary>
    public int InputSize { get; }

    /// <summary>Features per sample out.</summary>
    public abstract int OutputSize { get; }

    /// <summary>Index of this layer in a pre-order walk of the model; a key of the counter-based RNG.</summary>
    public int Index { get; internal set; }

    /// <summary>The store holding this layer's tensors; set by <see cref="Bind"/>.</summary>
    protected ParameterStore Store { get; private set; } = null!;

    /// <summary>Views of this layer's parameters, in declaration order; set by <see cref="Bind"/>.</summary>
    protected IReadOnlyList<ParameterView> ParameterViews { get; private set; } = [];

    /// <summary>Views of this layer's buffers, in declaration order; set by <see cref="Bind"/>.</summary>
    protected IReadOnlyList<ParameterView> BufferViews { get; private set; } = [];

    /// <summary>Trainable tensors this layer owns.</summary>
    public virtual IReadOnlyList<ParameterDeclaration> DeclareParameters() => [];

    /// <summary>Non-trainable state tensors this layer owns (running statistics).</summary>
    public virtual IReadOnlyList<ParameterDeclaration> DeclareBuffers() => [];

    /// <summary>Layers nested inside this one (residual and highway bodies), in order.</summary>
    public virtual IReadOnlyList<Layer> Children => [];

    /// <summary>Called once by the model after it laid out the flat vectors.</summary>
    public void Bind(ParameterStore store, IReadOnlyList<ParameterView> parameters, IReadOnlyList<ParameterView> buffers)
    {
        Store = store;
        ParameterViews = parameters;
        BufferViews = buffers;
        OnBound();
    }

    /// <summary>Hook for layers that set up their own state once the store exists.</summary>
    protected virtual void OnBound()
    {
    }

    /// <summary>Fills this layer's own parameters and buffers with their initial values.</summary>
    public virtual void Initialize(Random random)
    {
    }

    /// <summary>Allocates scratch for batches of up to <paramref name="maxBatch"/> rows; called before the first pass.</summary>
    public virtual void Reserve(int maxBatch)
    {
    }

    /// <summary>input (B, InputSize) -> output (B, OutputSize).</summary>
    public abstract void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch);

    /// <summary>
    /// Given dL/d(output) (B, OutputSize), adds dL/d(parameters) into the store's gradients and writes
    /// dL/d(input) (B, InputSize), or skips it when <paramref name="inputGradient"/> is empty.
    /// </summary>
    public abstract void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch);

    /// <summary>Frees this layer's scratch buffers and those of its children.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees scratch; <paramref name="disposing"/> is false only when called from a finalizer.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}
