using DistributedTrainer.Numerics;
using ILGPU;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// DropConnect with the mask of <see cref="Numerics.Layers.Dense"/>: draw j of the weights (O, I), row-major, is word
/// j mod 4 of the Philox block j / 4 keyed by (seed, step, sample -1, layer), exactly as <see cref="CounterRng.FillUniform"/>
/// fills the CPU layer's mask, so a device worker drops the same weights as a CPU worker; one mask for every row.
/// </summary>
internal static class DropConnectKernels
{
    // weight (O, I) -> maskedWeight (O, I), mask (O, I); one thread per weight
    public static void Mask(Index1D index, ArrayView<float> maskedWeight, ArrayView<float> mask, ArrayView<float> weight,
        float rate, float keep, ulong seed, ulong counterHigh, ulong sampleBits)
    {
        int j = index;
        var (a, b, c, d) = CounterRng.Philox(seed, counterHigh, sampleBits + (ulong)(j >> 2));
        int word = j & 3;
        uint bits = word == 0 ? a : word == 1 ? b : word == 2 ? c : d;
        float scale = CounterRng.ToUnit(bits) >= rate ? keep : 0f;
        mask[index] = scale;
        // forward: W~ = W ⊙ mask / (1-p)
        maskedWeight[index] = weight[index] * scale;
    }

    // outputGradient (B, O), input (B, I), mask (O, I) -> weightGradient (O, I) += ...; one thread per (unit, k), the rows
    // summed in increasing order as DenseKernels.WeightGradient sums them
    public static void WeightGradient(Index1D index, ArrayView<float> weightGradient, ArrayView<float> outputGradient,
        ArrayView<float> input, ArrayView<float> mask, int batch, int inputs, int units)
    {
        int unit = index / inputs;
        int k = index - unit * inputs;
        float sum = 0f;
        // forward: y = x W~^T + b, W~ = W ⊙ mask / (1-p)  =>  dW += (dY^T x) ⊙ mask / (1-p)
        for (int row = 0; row < batch; row++)
        {
            sum += outputGradient[(long)row * units + unit] * input[(long)row * inputs + k];
        }
        weightGradient[index] += sum * mask[index];
    }
}
