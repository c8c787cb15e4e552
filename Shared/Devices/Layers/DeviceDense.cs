using DistributedTrainer.Devices.Kernels;
using ILGPU;

namespace DistributedTrainer.Devices.Layers;

/// <summary>
/// <see cref="Numerics.Layers.Dense"/> on the device. With time steps the same weights apply to every step: a row of T steps
/// is T rows of the GEMMs, as on the CPU. With DropConnect a training pass runs the GEMMs on the masked weights and masks
/// the weight gradient; an evaluation pass uses the weights as they are.
/// </summary>
internal sealed class DeviceDense : DeviceLayer
{
    private readonly DeviceKernels _kernels;
    private readonly ArrayView<float> _weight;
    private readonly ArrayView<float> _bias;
    private readonly ArrayView<float> _weightGradient;
    private readonly ArrayView<float> _biasGradient;
    // Features of one step in and out, and steps per row.
    private readonly int _inputs;
    private readonly int _units;
    private readonly int _steps;
    // The weights' mask in training; null without DropConnect.
    private readonly DeviceDropConnect? _dropConnect;

    /// <param name="kernels">The accelerator's kernels.</param>
    /// <param name="name">Full layer name.</param>
    /// <param name="inputs">Features in per step.</param>
    /// <param name="units">Features out per step.</param>
    /// <param name="weight">weight (O, I) within the device parameters.</param>
    /// <param name="bias">bias (O) within the device parameters.</param>
    /// <param name="weightGradient">dL/dW (O, I) within the device gradients.</param>
    /// <param name="biasGradient">dL/db (O) within the device gradients.</param>
    /// <param name="steps">Time steps per row sharing the weights; default 1 (the row is one vector).</param>
    /// <param name="dropConnect">The weights' mask, owned by the layer from here on; null (the default) without DropConnect.</param>
    public DeviceDense(DeviceKernels kernels, string name, int inputs, int units, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> weightGradient, ArrayView<float> biasGradient, int steps = 1, DeviceDropConnect? dropConnect = null)
        : base(name, steps * inputs, steps * units)
    {
        _inputs = inputs;
        _units = units;
        _steps = steps;
        _kernels = kernels;
        _weight = weight;
        _bias = bias;
        _weightGradient = weightGradient;
        _biasGradient = biasGradient;
        _dropConnect = dropConnect;
    }

    // input (B, T, I), weight (O, I), bias (O) -> output (B, T, O); T = 1 unless steps were given
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch)
    {
        var weight = Masked(step) ? _dropConnect!.Draw(step, _weight) : _weight;
        _kernels.Gemm.Forward(output, input, weight, _bias, batch * _steps, _inputs, _units);
    }

    // outputGradient (B, T, O) -> inputGradient (B, T, I); weight gradient (O, I) += ..., bias gradient (O) += ...
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        int rows = batch * _steps;
        bool masked = Masked(step);
        if (masked)
        {
            _kernels.DropConnectWeightGradient(_units * _inputs, _weightGradient, outputGradient, input, _dropConnect!.Mask, rows,
                _inputs, _units);
        }
        else
        {
            _kernels.Gemm.WeightGradient(_weightGradient, outputGradient, input, rows, _inputs, _units);
        }
        _kernels.DenseBiasGradient(_units, _biasGradient, outputGradient, rows, _units);
        if (inputGradient.Length > 0)
        {
            // forward: y = x W~^T + b  =>  dX = dY W~, the weights the forward pass of the same step used
            _kernels.Gemm.InputGradient(inputGradient, outputGradient, masked ? _dropConnect!.MaskedWeight : _weight,
                rows, _inputs, _units);
        }
    }

    // Whether this pass runs on masked weights: DropConnect in training only, as on the CPU.
    private bool Masked(DeviceStep step) => step.Training && _dropConnect is not null;

    public override void Dispose()
    {
        _dropConnect?.Dispose();
        base.Dispose();
    }
}
