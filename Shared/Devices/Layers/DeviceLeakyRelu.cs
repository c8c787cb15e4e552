using DistributedTrainer.Devices.Kernels;
using ILGPU;

namespace DistributedTrainer.Devices.Layers;

/// <summary><see cref="Numerics.Layers.LeakyRelu"/> on the device: y = x for x &gt; 0, else slope · x.</summary>
internal sealed class DeviceLeakyRelu : DeviceLayer
{
    private readonly DeviceKernels _kernels;
    private readonly float _slope;

    /// <param name="kernels">The accelerator's kernels.</param>
    /// <param name="name">Full layer name.</param>
    /// <param name="size">Features in and out.</param>
    /// <param name="slope">Slope for negative inputs.</param>
    public DeviceLeakyRelu(DeviceKernels kernels, string name, int size, float slope)
        : base(name, size, size)
    {
        _kernels = kernels;
        _slope = slope;
    }

    // input (B, F) -> output (B, F)
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch) =>
        _kernels.LeakyReluForward(batch * InputSize, output, input, _slope);

    // outputGradient (B, F) -> inputGradient (B, F)
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        if (inputGradient.Length > 0)
        {
            _kernels.LeakyReluBackward(batch * InputSize, inputGradient, input, outputGradient, _slope);
        }
    }
}
