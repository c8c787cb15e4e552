using ILGPU;
using ILGPU.Runtime;

namespace DistributedTrainer.Devices.Layers;

/// <summary>
/// <see cref="Numerics.Layers.Reshape"/> and <see cref="Numerics.Layers.Flatten"/> on the device: rows are already
/// channel first, so only the shape the next layer sees changes; the values and gradients are copied through.
/// </summary>
internal sealed class DeviceIdentity : DeviceLayer
{
    /// <param name="name">Full layer name.</param>
    /// <param name="size">Features in and out.</param>
    public DeviceIdentity(string name, int size)
        : base(name, size, size)
    {
    }

    // input (B, F) -> output (B, F), the same values
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch)
    {
        long length = (long)batch * InputSize;
        input.SubView(0, length).CopyTo(output.SubView(0, length));
    }

    // outputGradient (B, F) -> inputGradient (B, F)
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        // forward: y = x  =>  dx = dy
        if (inputGradient.Length > 0)
        {
            long length = (long)batch * InputSize;
            outputGradient.SubView(0, length).CopyTo(inputGradient.SubView(0, length));
        }
    }
}
