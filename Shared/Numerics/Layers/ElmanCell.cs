using System.Numerics.Tensors;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>Elman RNN cell (PyTorch nn.RNN): h = act(W_ih x + b_ih + W_hh h' + b_hh), act tanh or ReLU.</summary>
internal sealed class ElmanCell(int hiddenSize, bool relu) : RecurrentCell(hiddenSize)
{
    public override int Gates => 1;

    // gates (B, H), recurrent (B, H) -> hidden (B, H)
    public override void Forward(Span<float> gates, ReadOnlySpan<float> recurrent, ReadOnlySpan<float> previousHidden,
        ReadOnlySpan<float> previousCell, Span<float> hidden, Span<float> cell, Span<float> keptRecurrent, int batch)
    {
        int length = batch * HiddenSize;
        Span<float> a = gates[..length];
        // forward: a = W_ih x + b_ih + W_hh h' + b_hh; h = act(a)
        TensorPrimitives.Add(a, recurrent[..length], a);
        if (relu)
        {
            TensorPrimitives.Max(a, 0f, a);
        }
        else
        {
            TensorPrimitives.Tanh(a, a);
        }
        a.CopyTo(hidden);
    }

    // hiddenGradient (B, H) -> inputGates (B, H) (also the recurrent gradient: the same sum)
    public override void Backward(ReadOnlySpan<float> gates, ReadOnlySpan<float> previousHidden,
        ReadOnlySpan<float> previousCell, ReadOnlySpan<float> cell, ReadOnlySpan<float> keptRecurrent,
        ReadOnlySpan<float> hiddenGradient, Span<float> cellGradient, Span<float> inputGates,
        Span<float> recurrentGates, Span<float> previousHiddenDirect, int batch)
    {
        int length = batch * HiddenSize;
        ReadOnlySpan<float> h = gates[..length];
        ReadOnlySpan<float> dh = hiddenGradient[..length];
        Span<float> da = inputGates[..length];
        if (relu)
        {
            // forward: h = max(0, a)  =>  da = dh [h > 0]
            for (int i = 0; i < length; i++)
            {
                da[i] = h[i] > 0 ? dh[i] : 0f;
            }
        }
        else
        {
            // forward: h = tanh(a)  =>  da = dh ⊙ (1 - h²)
            TensorPrimitives.Multiply(h, h, da);
            TensorPrimitives.Subtract(1f, da, da);
            TensorPrimitives.Multiply(da, dh, da);
        }
    }
}
