using System.Numerics.Tensors;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// LSTM cell (PyTorch nn.LSTM), gate blocks i, f, g, o of H features each:
/// (i, f, g, o) = (σ, σ, tanh, σ)(W_ih x + b_ih + W_hh h' + b_hh); c = f ⊙ c' + i ⊙ g; h = o ⊙ tanh(c).
/// </summary>
internal sealed class LstmCell(int hiddenSize) : RecurrentCell(hiddenSize)
{
    // (H): tanh(c) of one row, and the gradient reaching c of one row, in backward.
    private readonly float[] _tanhCell = new float[hiddenSize];
    private readonly float[] _cellTotal = new float[hiddenSize];

    public override int Gates => 4;

    public override bool HasCellState => true;

    // gates (B, 4H), recurrent (B, 4H), previousCell (B, H) -> hidden (B, H), cell (B, H)
    public override void Forward(Span<float> gates, ReadOnlySpan<float> recurrent, ReadOnlySpan<float> previousHidden,
        ReadOnlySpan<float> previousCell, Span<float> hidden, Span<float> cell, Span<float> keptRecurrent, int batch)
    {
        int h = HiddenSize, width = 4 * h;
        TensorPrimitives.Add(gates[..(batch * width)], recurrent[..(batch * width)], gates[..(batch * width)]);
        for (int row = 0; row < batch; row++)
        {
            Span<float> g = gates.Slice(row * width, width);
            Span<float> c = cell.Slice(row * h, h);
            // forward: i, f = σ(a_i), σ(a_f); g = tanh(a_g); o = σ(a_o)
            TensorPrimitives.Sigmoid(g[..(2 * h)], g[..(2 * h)]);
            TensorPrimitives.Tanh(g.Slice(2 * h, h), g.Slice(2 * h, h));
            TensorPrimitives.Sigmoid(g.Slice(3 * h, h), g.Slice(3 * h, h));
            // forward: c = f ⊙ c' + i ⊙ g
            TensorPrimitives.Multiply(g[..h], g.Slice(2 * h, h), c);
            TensorPrimitives.MultiplyAdd(g.Slice(h, h), previousCell.Slice(row * h, h), c, c);
            // forward: h = o ⊙ tanh(c)
            Span<float> y = hidden.Slice(row * h, h);
            TensorPrimitives.Tanh(c, y);
            TensorPrimitives.Multiply(y, g.Slice(3 * h, h), y);
        }
    }

    // hiddenGradient (B, H), cellGradient (B, H) in/out -> inputGates (B, 4H) (= the recurrent gradient)
    public override void Backward(ReadOnlySpan<float> gates, ReadOnlySpan<float> previousHidden,
        ReadOnlySpan<float> previousCell, ReadOnlySpan<float> cell, ReadOnlySpan<float> keptRecurrent,
        ReadOnlySpan<float> hiddenGradient, Span<float> cellGradient, Span<float> inputGates,
        Span<float> recurrentGates, Span<float> previousHiddenDirect, int batch)
    {
        int h = HiddenSize, width = 4 * h;
        Span<float> tanhC = _tanhCell, dc = _cellTotal;
        for (int row = 0; row < batch; row++)
        {
            ReadOnlySpan<float> g = gates.Slice(row * width, width);
            ReadOnlySpan<float> i = g[..h], f = g.Slice(h, h), gg = g.Slice(2 * h, h), o = g.Slice(3 * h, h);
            ReadOnlySpan<float> dh = hiddenGradient.Slice(row * h, h);
            Span<float> dcRow = cellGradient.Slice(row * h, h);
            Span<float> da = inputGates.Slice(row * width, width);
            Span<float> di = da[..h], df = da.Slice(h, h), dg = da.Slice(2 * h, h), dO = da.Slice(3 * h, h);
            TensorPrimitives.Tanh(cell.Slice(row * h, h), tanhC);
            // forward: h = o ⊙ tanh(c)  =>  do = dh ⊙ tanh(c); dc = dc_later + dh ⊙ o ⊙ (1 - tanh²(c))
            TensorPrimitives.Multiply(dh, tanhC, dO);
            TensorPrimitives.Multiply(tanhC, tanhC, dc);
            TensorPrimitives.Subtract(1f, dc, dc);
            TensorPrimitives.Multiply(dc, o, dc);
            TensorPrimitives.MultiplyAdd(dc, dh, dcRow, dc);
            // forward: c = f ⊙ c' + i ⊙ g  =>  di = dc ⊙ g, df = dc ⊙ c', dg = dc ⊙ i, dc' = dc ⊙ f
            TensorPrimitives.Multiply(dc, gg, di);
            TensorPrimitives.Multiply(dc, previousCell.Slice(row * h, h), df);
            TensorPrimitives.Multiply(dc, i, dg);
            TensorPrimitives.Multiply(dc, f, dcRow);
            // forward: i, f, o = σ(a)  =>  da = d· ⊙ σ (1 - σ); g = tanh(a_g)  =>  da_g = dg ⊙ (1 - g²)
            SigmoidBackward(di, i);
            SigmoidBackward(df, f);
            SigmoidBackward(dO, o);
            TensorPrimitives.Multiply(gg, gg, dc);
            TensorPrimitives.Subtract(1f, dc, dc);
            TensorPrimitives.Multiply(dg, dc, dg);
        }
    }
}
