using DistributedTrainer.Devices.Kernels;
using ILGPU;

namespace DistributedTrainer.Devices.Layers;

/// <summary><see cref="Numerics.Layers.Dense"/> (without DropConnect or time steps) on the device.</summary>
internal sealed class DeviceDense : DeviceLayer
{
    private readonly DeviceKernels _kernels;
    private readonly ArrayView<float> _weight;
    private readonly ArrayView<float> _bias;
    private readonly ArrayView<float> _weightGradient;
    private readonly ArrayView<float> _biasGradient;

    /// <param name="kernels">The accelerator's kernels.</param>
    /// <param name="name">Full layer name.</param>
    /// <param name="inputs">Features in.</param>
    /// <param name="units">Features out.</param>
    /// <param name="weight">weight (O, I) within the device parameters.</param>
    /// <param name="bias">bias (O) within the device parameters.</param>
    /// <param name="weightGradient">dL/dW (O, I) within the device gradients.</param>
    /// <param name="biasGradient">dL/db (O) within the device gradients.</param>
    public DeviceDense(DeviceKernels kernels, string name, int inputs, int units, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> weightGradient, ArrayView<float> biasGradient)
        : base(name, inputs, units)
    {
        _kernels = kernels;
        _weight = weight;
        _bias = bias;
        _weightGradient = weightGradient;
        _biasGradient = biasGradient;
    }

    // input (B, I), weight (O, I), bias (O) -> output (B, O)
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch) =>
        _kernels.DenseForward(batch * OutputSize * _kernels.WarpSize, output, input, _weight, _bias, InputSize, OutputSize);

    // outputGradient (B, O) -> inputGradient (B, I); weight gradient (O, I) += ..., bias gradient (O) += ...
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        _kernels.DenseWeightGradient(OutputSize * InputSize, _weightGradient, outputGradient, input, batch, InputSize, OutputSize);
        _kernels.DenseBiasGradient(OutputSize, _biasGradient, outputGradient, batch, OutputSize);
        if (inputGradient.Length > 0)
        {
            _kernels.DenseInputGradient(batch * InputSize, inputGradient, outputGradient, _weight, InputSize, OutputSize);
        }
    }
}
