using DistributedTrainer.Numerics;
using ILGPU;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// Inverted dropout with the masks of <see cref="Numerics.Layers.Dropout"/> and <see cref="Numerics.Layers.Dropout2d"/>:
/// draw j of row r is word j mod 4 of the Philox block j / 4 keyed by (seed, step, global sample id of r, layer), exactly
/// as <see cref="CounterRng.FillUniform"/> does, so a device worker drops the same activations as a CPU worker. Dropout
/// draws once per element; Dropout2d once per channel, every element of a plane taking its channel's draw.
/// </summary>
internal static class DropoutKernels
{
    // input (B, F), sampleIds (B) -> output (B, F), mask (B, F); element k of a row takes draw k / plane (plane 1: dropout,
    // H·W: dropout2d over F = C·H·W); one thread per element
    public static void Forward(Index1D index, ArrayView<float> output, ArrayView<float> mask, ArrayView<float> input,
        ArrayView<long> sampleIds, int features, int plane, float rate, float keep, ulong seed, ulong counterHigh)
    {
        int row = index / features;
        int j = (index - row * features) / plane;
        ulong low = ((ulong)sampleIds[row] << 24) + (ulong)(j >> 2);
        var (a, b, c, d) = CounterRng.Philox(seed, counterHigh, low);
        int word = j & 3;
        uint bits = word == 0 ? a : word == 1 ? b : word == 2 ? c : d;
        float scale = CounterRng.ToUnit(bits) >= rate ? keep : 0f;
        mask[index] = scale;
        // forward: y = x ⊙ mask / (1-rate), mask per element or per channel
        output[index] = input[index] * scale;
    }

    // outputGradient (B, F), mask (B, F) -> inputGradient (B, F)
    public static void Backward(Index1D i, ArrayView<float> inputGradient, ArrayView<float> mask, ArrayView<float> outputGradient)
    {
        // forward: y = x ⊙ mask / (1-rate)  =>  dx = dy ⊙ mask / (1-rate)
        inputGradient[i] = outputGradient[i] * mask[i];
    }
}
