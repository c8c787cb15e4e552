namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// All trainable parameters of a model in one contiguous aligned vector and all their gradients in another,
/// with a named view per tensor, plus non-trainable state (BatchNorm running statistics) in a third. The
/// cluster reduces and broadcasts these vectors whole.
/// </summary>
public sealed class ParameterStore : IDisposable
{
    private readonly AlignedBuffer _values;
    private readonly AlignedBuffer _gradients;
    private readonly AlignedBuffer _buffers;

    public ParameterStore(IReadOnlyList<ParameterView> parameters, IReadOnlyList<ParameterView> buffers)
    {
        Parameters = parameters;
        Buffers = buffers;
        _values = new AlignedBuffer(parameters.Count == 0 ? 0 : parameters.Max(view => view.Offset + view.Length));
        _gradients = new AlignedBuffer(_values.Length);
        _buffers = new AlignedBuffer(buffers.Count == 0 ? 0 : buffers.Max(view => view.Offset + view.Length));
    }

    /// <summary>Views of the trainable tensors, in layer order.</summary>
    public IReadOnlyList<ParameterView> Parameters { get; }

    /// <summary>Views of the non-trainable state tensors, in layer order.</summary>
    public IReadOnlyList<ParameterView> Buffers { get; }

    /// <summary>Number of trainable scalars.</summary>
    public int Count => _values.Length;

    /// <summary>All parameters.</summary>
    public Span<float> Values => _values.Span;

    /// <summary>All gradients, same layout as <see cref="Values"/>.</summary>
    public Span<float> Gradients => _gradients.Span;

    /// <summary>All non-trainable state.</summary>
    public Span<float> BufferValues => _buffers.Span;

    /// <summary>The values of one tensor.</summary>
    public Span<float> ValuesOf(ParameterView view) => _values.Span.Slice(view.Offset, view.Length);

    /// <summary>The gradient of one tensor.</summary>
    public Span<float> GradientsOf(ParameterView view) => _gradients.Span.Slice(view.Offset, view.Length);

    /// <summary>The values of one buffer.</summary>
    public Span<float> BufferOf(ParameterView view) => _buffers.Span.Slice(view.Offset, view.Length);

    public void Dispose()
    {
        _values.Dispose();
        _gradients.Dispose();
        _buffers.Dispose();
    }
}
