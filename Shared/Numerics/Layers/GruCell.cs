using System.Numerics.Tensors;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// GRU cell (PyTorch nn.GRU), gate blocks r, z, n of H features each:
/// r = σ(W_ir x + b_ir + W_hr h' + b_hr); z = σ(W_iz x + b_iz + W_hz h' + b_hz);
/// n = tanh(W_in x + b_in + r ⊙ (W_hn h' + b_hn)); h = (1 - z) ⊙ n + z ⊙ h'.
/// </summary>
internal sealed class GruCell(int hiddenSize) : RecurrentCell(hiddenSize)
{
    // (H): one row's scratch in backward.
    private readonly float[] _scratch = new float[hiddenSize];

    public override int Gates => 3;

    public override bool CarriesHiddenDirectly => true;

    public override bool KeepsRecurrentProjection => true;

    // gates (B, 3H), recurrent (B, 3H), previousHidden (B, H) -> hidden (B, H), keptRecurrent (B, H) = W_hn h' + b_hn
    public override void Forward(Span<float> gates, ReadOnlySpan<float> recurrent, ReadOnlySpan<float> previousHidden,
        ReadOnlySpan<float> previousCell, Span<float> hidden, Span<float> cell, Span<float> keptRecurrent, int batch)
    {
        int h = HiddenSize, width = 3 * h;
        for (int row = 0; row < batch; row++)
        {
            Span<float> g = gates.Slice(row * width, width);
            ReadOnlySpan<float> rec = recurrent.Slice(row * width, width);
            Span<float> rz = g[..(2 * h)], n = g.Slice(2 * h, h);
            Span<float> hn = keptRecurrent.Slice(row * h, h);
            // forward: r, z = σ(W_i· x + b_i· + W_h· h' + b_h·)
            TensorPrimitives.Add(rz, rec[..(2 * h)], rz);
            TensorPrimitives.Sigmoid(rz, rz);
            // forward: n = tanh(W_in x + b_in + r ⊙ (W_hn h' + b_hn))
            rec.Slice(2 * h, h).CopyTo(hn);
            TensorPrimitives.MultiplyAdd(rz[..h], hn, n, n);
            TensorPrimitives.Tanh(n, n);
            // forward: h = (1 - z) ⊙ n + z ⊙ h' = n + z ⊙ (h' - n)
            Span<float> y = hidden.Slice(row * h, h);
            TensorPrimitives.Subtract(previousHidden.Slice(row * h, h), n, y);
            TensorPrimitives.MultiplyAdd(y, rz.Slice(h, h), n, y);
        }
    }

    // hiddenGradient (B, H) -> inputGates (B, 3H), recurrentGates (B, 3H), previousHiddenDirect (B, H)
    public override void Backward(ReadOnlySpan<float> gates, ReadOnlySpan<float> previousHidden,
        ReadOnlySpan<float> previousCell, ReadOnlySpan<float> cell, ReadOnlySpan<float> keptRecurrent,
        ReadOnlySpan<float> hiddenGradient, Span<float> cellGradient, Span<float> inputGates,
        Span<float> recurrentGates, Span<float> previousHiddenDirect, int batch)
    {
        int h = HiddenSize, width = 3 * h;
        Span<float> scratch = _scratch;
        for (int row = 0; row < batch; row++)
        {
            ReadOnlySpan<float> g = gates.Slice(row * width, width);
            ReadOnlySpan<float> r = g[..h], z = g.Slice(h, h), n = g.Slice(2 * h, h);
            ReadOnlySpan<float> hn = keptRecurrent.Slice(row * h, h);
            ReadOnlySpan<float> hPrev = previousHidden.Slice(row * h, h);
            ReadOnlySpan<float> dh = hiddenGradient.Slice(row * h, h);
            Span<float> di = inputGates.Slice(row * width, width);
            Span<float> dr = di[..h], dz = di.Slice(h, h), dn = di.Slice(2 * h, h);
            Span<float> dRecurrent = recurrentGates.Slice(row * width, width);
            // forward: h = n + z ⊙ (h' - n)  =>  dh' (direct) = dh ⊙ z, dz = dh ⊙ (h' - n), dn = dh ⊙ (1 - z)
            TensorPrimitives.Multiply(dh, z, previousHiddenDirect.Slice(row * h, h));
            TensorPrimitives.Subtract(hPrev, n, dz);
            TensorPrimitives.Multiply(dz, dh, dz);
            TensorPrimitives.Subtract(dh, previousHiddenDirect.Slice(row * h, h), dn);
            // forward: n = tanh(a_n)  =>  da_n = dn ⊙ (1 - n²)
            TensorPrimitives.Multiply(n, n, scratch);
            TensorPrimitives.Subtract(1f, scratch, scratch);
            TensorPrimitives.Multiply(dn, scratch, dn);
            // forward: a_n = W_in x + b_in + r ⊙ hn  =>  dr = da_n ⊙ hn, dhn = da_n ⊙ r
            TensorPrimitives.Multiply(dn, hn, dr);
            TensorPrimitives.Multiply(dn, r, dRecurrent.Slice(2 * h, h));
            // forward: r, z = σ(a)  =>  da = d· ⊙ σ (1 - σ); both sums see the same gradient
            SigmoidBackward(dr, r);
            SigmoidBackward(dz, z);
            di[..(2 * h)].CopyTo(dRecurrent);
        }
    }
}
