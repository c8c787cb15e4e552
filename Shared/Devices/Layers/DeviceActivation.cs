using ILGPU;

namespace DistributedTrainer.Devices.Layers;

/// <summary>
/// An element-wise activation on the device (relu, sigmoid, tanh): a forward kernel and a backward kernel that reads the
/// layer's input (relu) or its output (sigmoid, tanh) beside the output gradient.
/// </summary>
internal sealed class DeviceActivation : DeviceLayer
{
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>> _forward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> _backward;
    private readonly bool _backwardReadsOutput;

    /// <param name="name">Full layer name.</param>
    /// <param name="size">Features in and out.</param>
    /// <param name="forward">(i, output, input).</param>
    /// <param name="backward">(i, inputGradient, input or output, outputGradient).</param>
    /// <param name="backwardReadsOutput">True when the backward kernel's second view is the output, not the input.</param>
    public DeviceActivation(string name, int size, Action<Index1D, ArrayView<float>, ArrayView<float>> forward,
        Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> backward, bool backwardReadsOutput)
        : base(name, size, size)
    {
        _forward = forward;
        _backward = backward;
        _backwardReadsOutput = backwardReadsOutput;
    }

    // input (B, F) -> output (B, F)
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch) =>
        _forward(batch * InputSize, output, input);

    // outputGradient (B, F) -> inputGradient (B, F)
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        if (inputGradient.Length > 0)
        {
            _backward(batch * InputSize, inputGradient, _backwardReadsOutput ? output : input, outputGradient);
        }
    }
}
