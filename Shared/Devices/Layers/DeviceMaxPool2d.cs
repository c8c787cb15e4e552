using DistributedTrainer.Devices.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace DistributedTrainer.Devices.Layers;

/// <summary>
/// <see cref="Numerics.Layers.MaxPool2d"/> on the device: the same maximum per window (first of equal maxima, NaN
/// propagates), whose position is kept for the backward pass.
/// </summary>
internal sealed class DeviceMaxPool2d : DeviceLayer
{
    private readonly DeviceKernels _kernels;
    private readonly ImageWindow _geometry;
    // (maxBatch, C, OH, OW): index within its plane of each output's maximum, from the last forward pass.
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _argmax;

    /// <param name="accelerator">Where the positions of the maxima live.</param>
    /// <param name="kernels">The accelerator's kernels.</param>
    /// <param name="name">Full layer name.</param>
    /// <param name="geometry">Input image, output image (C channels) and window (dilation 1).</param>
    /// <param name="maxBatch">Most rows per pass.</param>
    public DeviceMaxPool2d(Accelerator accelerator, DeviceKernels kernels, string name, ImageWindow geometry, int maxBatch)
        : base(name, geometry.InputSize, geometry.OutputSize)
    {
        _kernels = kernels;
        _geometry = geometry;
        _argmax = accelerator.Allocate1D<int>((long)maxBatch * geometry.OutputSize);
    }

    // input (B, C, H, W) -> output (B, C, OH, OW)
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch) =>
        _kernels.MaxPoolForward(batch * OutputSize, output, _argmax.View, input, _geometry);

    // outputGradient (B, C, OH, OW) -> inputGradient (B, C, H, W)
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        if (inputGradient.Length > 0)
        {
            _kernels.MaxPoolBackward(batch * InputSize, inputGradient, outputGradient, _argmax.View, _geometry);
        }
    }

    public override void Dispose()
    {
        _argmax.Dispose();
        base.Dispose();
    }
}
