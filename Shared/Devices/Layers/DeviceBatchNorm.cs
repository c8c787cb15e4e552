using DistributedTrainer.Devices.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace DistributedTrainer.Devices.Layers;

/// <summary>
/// <see cref="Numerics.Layers.BatchNorm"/> and <see cref="Numerics.Layers.BatchNorm2d"/> (features of H·W positions) on
/// the device. In training it normalizes with the pass's batch statistics and writes the change the pass makes to the
/// running statistics, weighted by its rows, into its part of the network's buffer changes, leaving the running
/// statistics themselves alone (as <see cref="Training.GradientEngine"/> restores them after each CPU shard); in
/// evaluation it normalizes with the running statistics.
/// </summary>
internal sealed class DeviceBatchNorm : DeviceLayer
{
    private readonly DeviceKernels _kernels;
    private readonly float _momentum;
    private readonly float _epsilon;
    private readonly int _features;
    private readonly int _plane;
    // Batch norm 2d, whose messages count values per channel rather than rows.
    private readonly bool _image;
    private readonly ArrayView<float> _weight;
    private readonly ArrayView<float> _bias;
    private readonly ArrayView<float> _weightGradient;
    private readonly ArrayView<float> _biasGradient;
    private readonly ArrayView<float> _buffers;
    private readonly ArrayView<float> _bufferChange;
    // (maxBatch, F, P): the normalized input of the last pass; (F): its 1 / sqrt(var + eps).
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _normalized;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _inverseStd;
    private bool _batchStatistics;

    /// <param name="accelerator">Where the scratch lives.</param>
    /// <param name="kernels">The accelerator's kernels.</param>
    /// <param name="name">Full layer name.</param>
    /// <param name="features">Features (channels for batch norm 2d), each with its own statistics and gamma and beta.</param>
    /// <param name="momentum">Weight of the batch statistic in the running update.</param>
    /// <param name="epsilon">Added to the variance before the square root.</param>
    /// <param name="weight">gamma (F) within the device parameters.</param>
    /// <param name="bias">beta (F) within the device parameters.</param>
    /// <param name="weightGradient">dL/dgamma (F) within the device gradients.</param>
    /// <param name="biasGradient">dL/dbeta (F) within the device gradients.</param>
    /// <param name="buffers">running_mean (F) then running_var (F) within the device buffers; read only.</param>
    /// <param name="bufferChange">(2F) within the device buffer changes: (after - before) x rows of a training pass.</param>
    /// <param name="maxBatch">Most rows per pass.</param>
    /// <param name="plane">
    /// Positions per channel for batch norm 2d (H·W; a row holds features x plane floats); null, the default, for batch norm
    /// (one position per feature).
    /// </param>
    public DeviceBatchNorm(Accelerator accelerator, DeviceKernels kernels, string name, int features, float momentum,
        float epsilon, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> weightGradient,
        ArrayView<float> biasGradient, ArrayView<float> buffers, ArrayView<float> bufferChange, int maxBatch, int? plane = null)
        : base(name, features * (plane ?? 1), features * (plane ?? 1))
    {
        _features = features;
        _plane = plane ?? 1;
        _image = plane is not null;
        _kernels = kernels;
        _momentum = momentum;
        _epsilon = epsilon;
        _weight = weight;
        _bias = bias;
        _weightGradient = weightGradient;
        _biasGradient = biasGradient;
        _buffers = buffers;
        _bufferChange = bufferChange;
        _normalized = accelerator.Allocate1D<float>((long)maxBatch * InputSize);
        try
        {
            _inverseStd = accelerator.Allocate1D<float>(features);
        }
        catch
        {
            _normalized.Dispose();
            throw;
        }
    }

    // input (B, F, P), weight (F), bias (F), running_mean (F), running_var (F) -> output (B, F, P); in training the buffer
    // change (2F)
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch)
    {
        _batchStatistics = step.Training;
        if (_batchStatistics)
        {
            long count = (long)batch * _plane;
            if (count < 2)
            {
                throw new ArgumentException(!_image
                    ? $"Batch norm '{Name}' needs at least 2 rows in training to estimate a variance, got {batch}."
                    : $"Batch norm '{Name}' needs at least 2 values per channel in training to estimate a variance, got {count}.",
                    nameof(batch));
            }
            _kernels.BatchNormTrainingForward(_features, output, _normalized.View, _inverseStd.View, _bufferChange, input,
                _weight, _bias, _buffers, batch, _features, _plane, _momentum, _epsilon);
        }
        else
        {
            _kernels.BatchNormEvaluationForward(_features, output, _normalized.View, _inverseStd.View, input, _weight, _bias,
                _buffers, batch, _features, _plane, _epsilon);
        }
    }

    // outputGradient (B, F, P) -> inputGradient (B, F, P); weight gradient (F) += ..., bias gradient (F) += ...
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        if (_batchStatistics && inputGradient.Length > 0)
        {
            // One pass: the input gradient's sums are the scale and shift gradients.
            _kernels.BatchNormTrainingInputGradient(_features, inputGradient, _weightGradient, _biasGradient, outputGradient,
                _normalized.View, _inverseStd.View, _weight, batch, _features, _plane);
            return;
        }
        _kernels.ScaleShiftGradient(_features, _weightGradient, _biasGradient, outputGradient, _normalized.View, batch,
            _features, _plane);
        if (inputGradient.Length > 0)
        {
            _kernels.BatchNormEvaluationInputGradient(_features, inputGradient, outputGradient, _inverseStd.View, _weight,
                batch, _features, _plane);
        }
    }

    public override void Dispose()
    {
        _normalized.Dispose();
        _inverseStd.Dispose();
        base.Dispose();
    }
}
