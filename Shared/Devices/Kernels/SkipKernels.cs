using ILGPU;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// The element-wise parts of the residual and highway blocks, one thread per element; their GEMMs are the dense kernels',
/// and the highway input gradient walks the gate's units in increasing order, so every order is fixed.
/// </summary>
internal static class SkipKernels
{
    // input (N), body (N) -> output (N)
    public static void ResidualForward(Index1D i, ArrayView<float> output, ArrayView<float> input, ArrayView<float> body)
    {
        // forward: y = x + f(x)
        output[i] = input[i] + body[i];
    }

    // input (N), body H (N), gate T (N) -> output (N)
    public static void HighwayForward(Index1D i, ArrayView<float> output, ArrayView<float> input, ArrayView<float> body,
        ArrayView<float> gate)
    {
        // forward: y = T ⊙ H + (1 - T) ⊙ x = x + T ⊙ (H - x), in the SIMD layer's order
        float x = input[i];
        output[i] = (body[i] - x) * gate[i] + x;
    }

    // input (N), body H (N), gate T (N), outputGradient (N) -> bodyGradient dL/dH (N), gateGradient dL/dz (N)
    public static void HighwayGradients(Index1D i, ArrayView<float> bodyGradient, ArrayView<float> gateGradient,
        ArrayView<float> input, ArrayView<float> body, ArrayView<float> gate, ArrayView<float> outputGradient)
    {
        float dy = outputGradient[i], t = gate[i];
        // forward: y = T ⊙ H + (1 - T) ⊙ x  =>  dH = dy ⊙ T
        bodyGradient[i] = dy * t;
        // forward: y = x + T ⊙ (H - x), T = sigmoid(z)  =>  dz = dy ⊙ (H - x) ⊙ T ⊙ (1 - T)
        float dz = (body[i] - input[i]) * dy * t;
        gateGradient[i] = dz - dz * t;
    }

    // gateGradient dz (B, F), gate weight W_T (F, F), outputGradient (B, F), gate T (B, F) -> inputGradient (B, F) += ...;
    // one thread per (row, k)
    public static void HighwayInputGradient(Index1D index, ArrayView<float> inputGradient, ArrayView<float> gateGradient,
        ArrayView<float> weight, ArrayView<float> outputGradient, ArrayView<float> gate, int features)
    {
        int row = index / features;
        int k = index - row * features;
        long dz = (long)row * features;
        float sum = 0f;
        // forward: z = x W_T^T + b_T, y = x + T ⊙ (H - x)  =>  dx = (body's dx) + dz W_T + dy ⊙ (1 - T)
        for (int unit = 0; unit < features; unit++)
        {
            sum += gateGradient[dz + unit] * weight[(long)unit * features + k];
        }
        float dy = outputGradient[index];
        inputGradient[index] = inputGradient[index] + sum + dy - dy * gate[index];
    }
}
