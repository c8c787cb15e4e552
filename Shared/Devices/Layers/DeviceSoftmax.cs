using DistributedTrainer.Devices.Kernels;
using ILGPU;

namespace DistributedTrainer.Devices.Layers;

/// <summary>
/// <see cref="Numerics.Layers.Softmax"/> (the layer; the fused loss is <see cref="LossKernels.SoftmaxCrossEntropy"/>) on
/// the device: a warp per row (<see cref="SoftmaxKernels"/>). Backward reads the layer's output, as the SIMD layer does.
/// </summary>
internal sealed class DeviceSoftmax : DeviceLayer
{
    private readonly DeviceKernels _kernels;

    /// <param name="kernels">The accelerator's kernels.</param>
    /// <param name="name">Full layer name.</param>
    /// <param name="size">Features (classes) in and out.</param>
    public DeviceSoftmax(DeviceKernels kernels, string name, int size)
        : base(name, size, size)
    {
        _kernels = kernels;
    }

    // input (B, C) -> output (B, C)
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch) =>
        _kernels.SoftmaxForward(batch * _kernels.WarpSize, output, input, InputSize);

    // output (B, C), outputGradient (B, C) -> inputGradient (B, C)
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        if (inputGradient.Length > 0)
        {
            _kernels.SoftmaxBackward(batch * _kernels.WarpSize, inputGradient, output, outputGradient, InputSize);
        }
    }
}
