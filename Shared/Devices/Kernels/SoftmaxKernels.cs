using ILGPU;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// <see cref="Numerics.Layers.Softmax"/> (the model layer, not the loss) on the device. It reduces along a row (its
/// maximum, the sum of its exponentials, forward; ⟨dy, y⟩ backward), so it runs a warp per row as layer norm does: the
/// lanes stride over the features and a fixed shuffle tree combines their partial results, so a device gives the same
/// floats every run; they differ from TensorPrimitives' vectorized sums and exp by rounding only.
/// </summary>
internal static class SoftmaxKernels
{
    // input (B, C) -> output (B, C); one warp per row, launched over B * warp size
    public static void Forward(Index1D index, ArrayView<float> output, ArrayView<float> input, int features)
    {
        int lanes = Warp.WarpSize;
        int row = index / lanes;
        int lane = index - row * lanes;
        long at = (long)row * features;
        float max = float.NegativeInfinity;
        for (int k = lane; k < features; k += lanes)
        {
            max = MathF.Max(max, input[at + k]);
        }
        max = WarpMax(max);
        float sum = 0f;
        // forward: y = exp(x - max x) / sum(exp(x - max x)); the shift keeps every exponent <= 0
        for (int k = lane; k < features; k += lanes)
        {
            float e = MathF.Exp(input[at + k] - max);
            output[at + k] = e;
            sum += e;
        }
        float total = NormalizationKernels.WarpTotal(sum);
        // Each lane divides only the elements it wrote above.
        for (int k = lane; k < features; k += lanes)
        {
            output[at + k] /= total;
        }
    }

    // output (B, C), outputGradient (B, C) -> inputGradient (B, C); one warp per row, launched over B * warp size
    public static void Backward(Index1D index, ArrayView<float> inputGradient, ArrayView<float> output,
        ArrayView<float> outputGradient, int features)
    {
        int lanes = Warp.WarpSize;
        int row = index / lanes;
        int lane = index - row * lanes;
        long at = (long)row * features;
        float dot = 0f;
        for (int k = lane; k < features; k += lanes)
        {
            dot += outputGradient[at + k] * output[at + k];
        }
        dot = NormalizationKernels.WarpTotal(dot);
        // forward: y = softmax(x)  =>  dx = y ⊙ (dy - <dy, y>)
        for (int k = lane; k < features; k += lanes)
        {
            inputGradient[at + k] = (outputGradient[at + k] - dot) * output[at + k];
        }
    }

    /// <summary>The largest of every lane's <paramref name="partial"/>, the same value in every lane.</summary>
    private static float WarpMax(float partial)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
        {
            partial = MathF.Max(partial, Warp.ShuffleDown(partial, offset));
        }
        return Warp.Shuffle(partial, 0);
    }
}
