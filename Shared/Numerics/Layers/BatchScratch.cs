namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// Per-row scratch a layer keeps between its forward and backward pass (masks, normalized values, activations
/// of children), sized by <see cref="Layer.Reserve"/> for the largest batch the model will see.
/// </summary>
internal sealed class BatchScratch : IDisposable
{
    private readonly int _rowLength;
    private AlignedBuffer _buffer = new(0);

    /// <param name="rowLength">Floats per batch row (the widest row any caller asks for).</param>
    public BatchScratch(int rowLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowLength);
        _rowLength = rowLength;
    }

    /// <summary>Rows available; 0 until <see cref="Reserve"/>.</summary>
    public int MaxBatch { get; private set; }

    /// <summary>Makes room for <paramref name="maxBatch"/> rows, dropping what was held.</summary>
    public void Reserve(int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _buffer.Dispose();
        _buffer = new AlignedBuffer(checked(maxBatch * _rowLength));
        MaxBatch = maxBatch;
    }

    /// <summary>The first <paramref name="batch"/> rows of full width.</summary>
    public Span<float> Rows(int batch) => Rows(batch, _rowLength);

    /// <summary>The first <paramref name="batch"/> rows of <paramref name="rowLength"/> floats each.</summary>
    public Span<float> Rows(int batch, int rowLength)
    {
        if (batch > MaxBatch)
        {
            throw new InvalidOperationException(
                $"Layer scratch holds {MaxBatch} rows but a batch of {batch} arrived; call Reserve(maxBatch) first.");
        }
        return _buffer.Span[..(batch * rowLength)];
    }

    public void Dispose() => _buffer.Dispose();
}
