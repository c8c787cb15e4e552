using DistributedTrainer.Devices.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace DistributedTrainer.Devices.Layers;

/// <summary><see cref="Numerics.Layers.LayerNorm"/> on the device: the same in training and evaluation.</summary>
internal sealed class DeviceLayerNorm : DeviceLayer
{
    private readonly DeviceKernels _kernels;
    private readonly float _epsilon;
    private readonly ArrayView<float> _weight;
    private readonly ArrayView<float> _bias;
    private readonly ArrayView<float> _weightGradient;
    private readonly ArrayView<float> _biasGradient;
    // (maxBatch, F): the normalized input of the last pass; (maxBatch): its per-row 1 / sqrt(var + eps).
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _normalized;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _inverseStd;

    /// <param name="accelerator">Where the scratch lives.</param>
    /// <param name="kernels">The accelerator's kernels.</param>
    /// <param name="name">Full layer name.</param>
    /// <param name="features">Features in and out.</param>
    /// <param name="epsilon">Added to the variance before the square root.</param>
    /// <param name="weight">gamma (F) within the device parameters.</param>
    /// <param name="bias">beta (F) within the device parameters.</param>
    /// <param name="weightGradient">dL/dgamma (F) within the device gradients.</param>
    /// <param name="biasGradient">dL/dbeta (F) within the device gradients.</param>
    /// <param name="maxBatch">Most rows per pass.</param>
    public DeviceLayerNorm(Accelerator accelerator, DeviceKernels kernels, string name, int features, float epsilon,
        ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> weightGradient, ArrayView<float> biasGradient, int maxBatch)
        : base(name, features, features)
    {
        _kernels = kernels;
        _epsilon = epsilon;
        _weight = weight;
        _bias = bias;
        _weightGradient = weightGradient;
        _biasGradient = biasGradient;
        _normalized = accelerator.Allocate1D<float>((long)maxBatch * features);
        try
        {
            _inverseStd = accelerator.Allocate1D<float>(maxBatch);
        }
        catch
        {
            _normalized.Dispose();
            throw;
        }
    }

    // input (B, F), weight (F), bias (F) -> output (B, F)
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch) =>
        _kernels.LayerNormForward(batch * _kernels.WarpSize, output, _normalized.View, _inverseStd.View, input, _weight, _bias,
            InputSize, _epsilon);

    // outputGradient (B, F) -> inputGradient (B, F); weight gradient (F) += ..., bias gradient (F) += ...
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        // Each feature is one position of its own (plane 1).
        _kernels.ScaleShiftGradient(InputSize, _weightGradient, _biasGradient, outputGradient, _normalized.View, batch,
            InputSize, 1);
        if (inputGradient.Length > 0)
        {
            _kernels.LayerNormInputGradient(batch * _kernels.WarpSize, inputGradient, outputGradient, _normalized.View,
                _inverseStd.View, _weight, InputSize);
        }
    }

    public override void Dispose()
    {
        _normalized.Dispose();
        _inverseStd.Dispose();
        base.Dispose();
    }
}
