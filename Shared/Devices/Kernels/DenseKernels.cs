using ILGPU;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// The dense layer's GEMMs. The backward ones run one thread per output element, each summing over its reduction index
/// in increasing order; the forward one runs a warp per output element. Every order is fixed, so a device gives the same
/// floats every run; they differ from the blocked SIMD GEMM (and the forward pass between devices of different warp
/// sizes) by rounding only.
/// </summary>
internal static class DenseKernels
{
    // input (B, I), weight (O, I), bias (O) -> output (B, O); one warp per (row, unit), launched over B * O * warp size.
    // The lanes stride over k, so a warp reads both rows in coalesced runs, and a fixed shuffle tree adds the lanes'
    // partial sums: the order is the same every run. One thread per output walking k alone (the first version) read the
    // weights with a stride of I floats and left most of a GPU idle: 238 us for a 32 x 784 x 256 layer on an H200.
    public static void Forward(Index1D index, ArrayView<float> output, ArrayView<float> input, ArrayView<float> weight,
        ArrayView<float> bias, int inputs, int units)
    {
        int lanes = Warp.WarpSize;
        int element = index / lanes;
        int lane = index - element * lanes;
        int row = element / units;
        int unit = element - row * units;
        long x = (long)row * inputs;
        long w = (long)unit * inputs;
        float sum = 0f;
        // forward: y = x W^T + b
        for (int k = lane; k < inputs; k += lanes)
        {
            sum += input[x + k] * weight[w + k];
        }
        for (int offset = lanes / 2; offset > 0; offset /= 2)
        {
            sum += Warp.ShuffleDown(sum, offset);
        }
        if (lane == 0)
        {
            output[element] = sum + bias[unit];
        }
    }

    // bias (O) -> output (B, O) = the bias in every row, one thread per element: CuBlasGemm's forward adds the product
    // to it.
    public static void BiasRows(Index1D index, ArrayView<float> output, ArrayView<float> bias, int units)
    {
        output[index] = bias[index % units];
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
