using ILGPU;

namespace DistributedTrainer.Devices.Layers;

/// <summary>
/// A layer's training passes on the device, the counterpart of a <see cref="Numerics.Layers.Layer"/>: input (B, InputSize)
/// to output (B, OutputSize) on device views. Backward runs after the forward of the same rows, adds (+=) into the
/// parameter gradients and overwrites the input gradient, or skips it when that view is empty (the first layer).
/// </summary>
internal abstract class DeviceLayer : IDisposable
{
    protected DeviceLayer(string name, int inputSize, int outputSize)
    {
        Name = name;
        InputSize = inputSize;
        OutputSize = outputSize;
    }

    /// <summary>The layer's full name in the model, for messages.</summary>
    public string Name { get; }

    /// <summary>Features per sample in.</summary>
    public int InputSize { get; }

    /// <summary>Features per sample out.</summary>
    public int OutputSize { get; }

    /// <summary>input (B, InputSize) -> output (B, OutputSize).</summary>
    public abstract void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch);

    /// <summary>outputGradient (B, OutputSize) -> inputGradient (B, InputSize); parameter gradients += ...</summary>
    public abstract void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch);

    /// <summary>Frees the layer's device scratch, if any.</summary>
    public virtual void Dispose()
    {
    }
}
