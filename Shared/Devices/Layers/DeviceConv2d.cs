using DistributedTrainer.Devices.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace DistributedTrainer.Devices.Layers;

/// <summary>
/// <see cref="Numerics.Layers.Conv2d"/> on the device, with or without bias: a direct convolution whatever path the SIMD
/// layer takes for its shape (<see cref="ConvolutionKernels"/>).
/// </summary>
internal sealed class DeviceConv2d : DeviceLayer
{
    private readonly DeviceKernels _kernels;
    private readonly ImageWindow _geometry;
    private readonly ArrayView<float> _weight;
    private readonly ArrayView<float> _weightGradient;
    private readonly ArrayView<float> _biasGradient;
    // (O): the bias within the device parameters, or zeros of the layer's own when it has none, so one forward kernel
    // serves both.
    private readonly ArrayView<float> _bias;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _zeroBias;
    // (maxBatch, O·C·K·K): each sample's weight gradient (its first maxBatch·O floats also hold the bias gradients), summed
    // over the samples into the device gradients.
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _perSample;

    /// <param name="accelerator">Where the scratch lives.</param>
    /// <param name="kernels">The accelerator's kernels.</param>
    /// <param name="name">Full layer name.</param>
    /// <param name="geometry">Input image, output image (O channels) and window.</param>
    /// <param name="weight">weight (O, C, K, K) within the device parameters.</param>
    /// <param name="bias">bias (O) within the device parameters; empty when the layer has none.</param>
    /// <param name="weightGradient">dL/dW (O, C, K, K) within the device gradients.</param>
    /// <param name="biasGradient">dL/db (O) within the device gradients; empty when the layer has no bias.</param>
    /// <param name="maxBatch">Most rows per pass.</param>
    public DeviceConv2d(Accelerator accelerator, DeviceKernels kernels, string name, ImageWindow geometry,
        ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> weightGradient, ArrayView<float> biasGradient,
        int maxBatch)
        : base(name, geometry.InputSize, geometry.OutputSize)
    {
        _kernels = kernels;
        _geometry = geometry;
        _weight = weight;
        _weightGradient = weightGradient;
        _biasGradient = biasGradient;
        _perSample = accelerator.Allocate1D<float>((long)maxBatch * Math.Max(geometry.Weights, geometry.OutChannels));
        if (bias.Length > 0)
        {
            _bias = bias;
            return;
        }
        try
        {
            _zeroBias = accelerator.Allocate1D<float>(geometry.OutChannels);
            _zeroBias.MemSetToZero();
            _bias = _zeroBias.View;
        }
        catch
        {
            _perSample.Dispose();
            throw;
        }
    }

    // input (B, C, H, W), weight (O, C, K, K), bias (O) -> output (B, O, OH, OW)
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch) =>
        _kernels.ConvolutionForward(batch * OutputSize, output, input, _weight, _bias, _geometry);

    // outputGradient (B, O, OH, OW) -> inputGradient (B, C, H, W); weight gradient (O, C, K, K) += ..., bias gradient (O) += ...
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        int weights = _geometry.Weights;
        _kernels.ConvolutionSampleWeightGradient(batch * weights, _perSample.View, outputGradient, input, _geometry);
        _kernels.AddSampleSums(weights, _weightGradient, _perSample.View, batch, weights);
        if (_biasGradient.Length > 0)
        {
            int channels = _geometry.OutChannels;
            _kernels.ConvolutionSampleBiasGradient(batch * channels, _perSample.View, outputGradient, _geometry);
            _kernels.AddSampleSums(channels, _biasGradient, _perSample.View, batch, channels);
        }
        if (inputGradient.Length > 0)
        {
            _kernels.ConvolutionInputGradient(batch * InputSize, inputGradient, outputGradient, _weight, _geometry);
        }
    }

    public override void Dispose()
    {
        _perSample.Dispose();
        _zeroBias?.Dispose();
        base.Dispose();
    }
}
