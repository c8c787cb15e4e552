using DistributedTrainer.Devices.Kernels;
using ILGPU;

namespace DistributedTrainer.Devices.Layers;

/// <summary>
/// <see cref="Numerics.Layers.ParametricRelu"/> on the device: y = x for x &gt; 0, else a_j · x, one learned slope per
/// feature. The slope gradient runs one thread per feature over the rows in order, as the SIMD layer adds them.
/// </summary>
internal sealed class DeviceParametricRelu : DeviceLayer
{
    private readonly DeviceKernels _kernels;
    private readonly ArrayView<float> _slope;
    private readonly ArrayView<float> _slopeGradient;

    /// <param name="kernels">The accelerator's kernels.</param>
    /// <param name="name">Full layer name.</param>
    /// <param name="size">Features in and out.</param>
    /// <param name="slope">slope (F) within the device parameters.</param>
    /// <param name="slopeGradient">dL/dslope (F) within the device gradients.</param>
    public DeviceParametricRelu(DeviceKernels kernels, string name, int size, ArrayView<float> slope, ArrayView<float> slopeGradient)
        : base(name, size, size)
    {
        _kernels = kernels;
        _slope = slope;
        _slopeGradient = slopeGradient;
    }

    // input (B, F), slope (F) -> output (B, F)
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch) =>
        _kernels.ParametricReluForward(batch * InputSize, output, input, _slope, InputSize);

    // outputGradient (B, F) -> inputGradient (B, F); slope gradient (F) += ...
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        _kernels.ParametricReluSlopeGradient(InputSize, _slopeGradient, input, outputGradient, batch, InputSize);
        if (inputGradient.Length > 0)
        {
            _kernels.ParametricReluInputGradient(batch * InputSize, inputGradient, input, _slope, outputGradient, InputSize);
        }
    }
}
