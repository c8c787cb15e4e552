using DistributedTrainer.Devices.Kernels;
using ILGPU;

namespace DistributedTrainer.Devices.Layers;

/// <summary><see cref="Numerics.Layers.AvgPool2d"/> on the device: the window's sum over K·K, padding counted.</summary>
internal sealed class DeviceAvgPool2d : DeviceLayer
{
    private readonly DeviceKernels _kernels;
    private readonly ImageWindow _geometry;

    /// <param name="kernels">The accelerator's kernels.</param>
    /// <param name="name">Full layer name.</param>
    /// <param name="geometry">Input image, output image (C channels) and window (dilation 1).</param>
    public DeviceAvgPool2d(DeviceKernels kernels, string name, ImageWindow geometry)
        : base(name, geometry.InputSize, geometry.OutputSize)
    {
        _kernels = kernels;
        _geometry = geometry;
    }

    // input (B, C, H, W) -> output (B, C, OH, OW)
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch) =>
        _kernels.AvgPoolForward(batch * OutputSize, output, input, _geometry);

    // outputGradient (B, C, OH, OW) -> inputGradient (B, C, H, W)
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        if (inputGradient.Length > 0)
        {
            _kernels.AvgPoolBackward(batch * InputSize, inputGradient, outputGradient, _geometry);
        }
    }
}
