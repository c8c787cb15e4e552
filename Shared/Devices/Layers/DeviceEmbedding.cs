using DistributedTrainer.Devices.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace DistributedTrainer.Devices.Layers;

/// <summary>
/// <see cref="Numerics.Layers.Embedding"/> on the device: input (B, T) ids held as floats to output (B, T·D), a row of
/// the weight per id. The weight gradient runs one thread per weight element over the tokens in order
/// (<see cref="EmbeddingKernels"/>), so it is deterministic without float atomics.
/// </summary>
internal sealed class DeviceEmbedding : DeviceLayer
{
    private readonly DeviceKernels _kernels;
    private readonly int _vocabulary;
    private readonly int _dimensions;
    private readonly ArrayView<float> _weight;
    private readonly ArrayView<float> _weightGradient;

    /// <param name="kernels">The accelerator's kernels.</param>
    /// <param name="name">Full layer name.</param>
    /// <param name="steps">Ids per row (T).</param>
    /// <param name="vocabulary">Number of ids (V).</param>
    /// <param name="dimensions">Features per id (D).</param>
    /// <param name="weight">weight (V, D) within the device parameters.</param>
    /// <param name="weightGradient">dL/dweight (V, D) within the device gradients.</param>
    public DeviceEmbedding(DeviceKernels kernels, string name, int steps, int vocabulary, int dimensions, ArrayView<float> weight,
        ArrayView<float> weightGradient)
        : base(name, steps, steps * dimensions)
    {
        _kernels = kernels;
        _vocabulary = vocabulary;
        _dimensions = dimensions;
        _weight = weight;
        _weightGradient = weightGradient;
    }

    // input (B, T) ids, weight (V, D) -> output (B, T, D)
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch) =>
        _kernels.EmbeddingForward(batch * OutputSize, output, input, _weight, _vocabulary, _dimensions);

    // outputGradient (B, T, D) -> weight gradient (V, D) += ...; the ids have no gradient.
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        _kernels.EmbeddingWeightGradient(_vocabulary * _dimensions, _weightGradient, input, outputGradient, batch * InputSize,
            _dimensions);
        // The ids are data: their "gradient" is zero wherever a caller asks for it, as on the CPU.
        if (inputGradient.Length > 0)
        {
            inputGradient.SubView(0, (long)batch * InputSize).MemSetToZero();
        }
    }
}
