using ILGPU;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// The dense layer's GEMMs, one thread per output element, each summing over k in increasing order. The order is fixed,
/// so the CPU accelerator and a GPU give the same floats; they differ from the blocked SIMD GEMM by rounding only.
/// </summary>
internal static class DenseKernels
{
    // input (B, I), weight (O, I), bias (O) -> output (B, O); one thread per (row, unit)
    public static void Forward(Index1D index, ArrayView<float> output, ArrayView<float> input, ArrayView<float> weight,
        ArrayView<float> bias, int inputs, int units)
    {
        int row = index / units;
        int unit = index - row * units;
        long x = (long)row * inputs;
        long w = (long)unit * inputs;
        float sum = 0f;
        // forward: y = x W^T + b
        for (int k = 0; k < inputs; k++)
        {
            sum += input[x + k] * weight[w + k];
        }
        output[index] = sum + bias[unit];
    }

    // outputGradient (B, O), input (B, I) -> weightGradient (O, I) += ...; one thread per (unit, k)
    public static void WeightGradient(Index1D index, ArrayView<float> weightGradient, ArrayView<float> outputGradient,
        ArrayView<float> input, int batch, int inputs, int units)
    {
        int unit = index / inputs;
        int k = index - unit * inputs;
        float sum = 0f;
        // forward: y = x W^T + b  =>  dW += dY^T x
        for (int row = 0; row < batch; row++)
        {
            sum += outputGradient[(long)row * units + unit] * input[(long)row * inputs + k];
        }
        weightGradient[index] += sum;
    }

    // outputGradient (B, O) -> biasGradient (O) += ...; one thread per unit
    public static void BiasGradient(Index1D unit, ArrayView<float> biasGradient, ArrayView<float> outputGradient,
        int batch, int units)
    {
        float sum = 0f;
        // forward: y = ... + b  =>  db += sum over rows of dY
        for (int row = 0; row < batch; row++)
        {
            sum += outputGradient[(long)row * units + unit];
        }
        biasGradient[unit] += sum;
    }

    // outputGradient (B, O), weight (O, I) -> inputGradient (B, I); one thread per (row, k)
    public static void InputGradient(Index1D index, ArrayView<float> inputGradient, ArrayView<float> outputGradient,
        ArrayView<float> weight, int inputs, int units)
    {
        int row = index / inputs;
        int k = index - row * inputs;
        long dy = (long)row * units;
        float sum = 0f;
        // forward: y = x W^T + b  =>  dX = dY W
        for (int unit = 0; unit < units; unit++)
        {
            sum += outputGradient[dy + unit] * weight[(long)unit * inputs + k];
        }
        inputGradient[index] = sum;
    }
}
