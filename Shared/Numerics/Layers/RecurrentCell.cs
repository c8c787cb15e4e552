namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// The per-step math of one recurrent cell kind over a batch, forward and backward side by side. Buffers are
/// (B, ·) row-major; gate buffers hold <see cref="Gates"/> blocks of H features per row in PyTorch's order.
/// The layer does the matrix work (the projections W_ih x and W_hh h' on the GEMM); a cell only combines them.
/// </summary>
internal abstract class RecurrentCell
{
    protected RecurrentCell(int hiddenSize)
    {
        HiddenSize = hiddenSize;
    }

    /// <summary>Features of the hidden state, H.</summary>
    public int HiddenSize { get; }

    /// <summary>Gate blocks per row: 1 (RNN), 4 (LSTM), 3 (GRU).</summary>
    public abstract int Gates { get; }

    /// <summary>True when the cell keeps a cell state c beside h (LSTM).</summary>
    public virtual bool HasCellState => false;

    /// <summary>True when h' reaches h other than through W_hh (GRU's z ⊙ h'), so backward writes part of dh'.</summary>
    public virtual bool CarriesHiddenDirectly => false;

    /// <summary>True when the recurrent n block must be kept for backward (GRU's W_hn h' + b_hn).</summary>
    public virtual bool KeepsRecurrentProjection => false;

    /// <summary>
    /// One step. gates (B, G·H): in W_ih x + b_ih, out the activated gates; recurrent (B, G·H): W_hh h' + b_hh;
    /// previousHidden, previousCell (B, H) -> hidden, cell (B, H); keptRecurrent (B, H) <- what backward needs of
    /// the recurrent projection (GRU). Spans a kind does not use are empty.
    /// </summary>
    public abstract void Forward(Span<float> gates, ReadOnlySpan<float> recurrent, ReadOnlySpan<float> previousHidden,
        ReadOnlySpan<float> previousCell, Span<float> hidden, Span<float> cell, Span<float> keptRecurrent, int batch);

    /// <summary>
    /// The step's backward, given dL/dh (B, H) of this step (output plus later steps). Writes inputGates
    /// (B, G·H) = dL/d(W_ih x + b_ih) and recurrentGates (B, G·H) = dL/d(W_hh h' + b_hh) (the same span unless
    /// the cell keeps its recurrent projection); cellGradient (B, H) holds dL/dc of later steps on entry and
    /// dL/dc' on exit; previousHiddenDirect (B, H) &lt;- the part of dL/dh' that bypasses W_hh (when
    /// <see cref="CarriesHiddenDirectly"/>).
    /// </summary>
    public abstract void Backward(ReadOnlySpan<float> gates, ReadOnlySpan<float> previousHidden,
        ReadOnlySpan<float> previousCell, ReadOnlySpan<float> cell, ReadOnlySpan<float> keptRecurrent,
        ReadOnlySpan<float> hiddenGradient, Span<float> cellGradient, Span<float> inputGates,
        Span<float> recurrentGates, Span<float> previousHiddenDirect, int batch);

    /// <summary>gradient &lt;- gradient ⊙ s ⊙ (1 - s) for s = σ(a): the sigmoid's backward.</summary>
    protected static void SigmoidBackward(Span<float> gradient, ReadOnlySpan<float> s)
    {
        // One pass with no scratch; TensorPrimitives has no fused form of d ⊙ s ⊙ (1 - s).
        for (int k = 0; k < gradient.Length; k++)
        {
            gradient[k] *= s[k] * (1f - s[k]);
        }
    }

    /// <summary>The cell for <paramref name="kind"/> with hidden size <paramref name="hiddenSize"/>.</summary>
    public static RecurrentCell Create(RecurrentKind kind, int hiddenSize) => kind switch
    {
        RecurrentKind.RnnTanh => new ElmanCell(hiddenSize, relu: false),
        RecurrentKind.RnnRelu => new ElmanCell(hiddenSize, relu: true),
        RecurrentKind.Lstm => new LstmCell(hiddenSize),
        RecurrentKind.Gru => new GruCell(hiddenSize),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown recurrent kind."),
    };
}
