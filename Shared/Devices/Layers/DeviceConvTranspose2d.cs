using DistributedTrainer.Devices.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace DistributedTrainer.Devices.Layers;

/// <summary>
/// <see cref="Numerics.Layers.ConvTranspose2d"/> on the device, with or without bias: the conv2d kernels over the swapped
/// sizes (<see cref="ImageWindow.Transposed"/>), as the SIMD layer is the input gradient of a conv2d run as a layer. Each
/// output element is one thread's sum over (input channel, tap row, tap column) of the input pixels whose patch covers it
/// (a gather, not the SIMD layer's scatter), so no two threads add into one float; output padding only widens the output,
/// whose extra rows and columns the taps reach or leave to the bias.
/// </summary>
internal sealed class DeviceConvTranspose2d : DeviceLayer
{
    private readonly DeviceKernels _kernels;
    // Input (C, H, W), output (O, OH, OW), and the conv2d from (O, OH, OW) to (C, H, W) the kernels run.
    private readonly ImageWindow _geometry;
    private readonly ImageWindow _transposed;
    private readonly ArrayView<float> _weight;
    private readonly ArrayView<float> _bias;
    private readonly ArrayView<float> _weightGradient;
    private readonly ArrayView<float> _biasGradient;
    // (C) zeros: the conv2d forward kernel, which gives the input gradient here, adds a bias per channel it writes.
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _zeros;
    // (maxBatch, C·O·K·K): each sample's weight gradient (its first maxBatch·O floats also hold the bias gradients), summed
    // over the samples into the device gradients.
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _perSample;

    /// <param name="accelerator">Where the scratch lives.</param>
    /// <param name="kernels">The accelerator's kernels.</param>
    /// <param name="name">Full layer name.</param>
    /// <param name="geometry">Input image (C channels), output image (O channels, output padding included) and window.</param>
    /// <param name="weight">weight (C, O, K, K) within the device parameters.</param>
    /// <param name="bias">bias (O) within the device parameters; empty when the layer has none.</param>
    /// <param name="weightGradient">dL/dW (C, O, K, K) within the device gradients.</param>
    /// <param name="biasGradient">dL/db (O) within the device gradients; empty when the layer has no bias.</param>
    /// <param name="maxBatch">Most rows per pass.</param>
    public DeviceConvTranspose2d(Accelerator accelerator, DeviceKernels kernels, string name, ImageWindow geometry,
        ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> weightGradient, ArrayView<float> biasGradient,
        int maxBatch)
        : base(name, geometry.InputSize, geometry.OutputSize)
    {
        _kernels = kernels;
        _geometry = geometry;
        _transposed = geometry.Transposed;
        _weight = weight;
        _bias = bias;
        _weightGradient = weightGradient;
        _biasGradient = biasGradient;
        _perSample = accelerator.Allocate1D<float>((long)maxBatch * Math.Max(geometry.Weights, geometry.OutChannels));
        try
        {
            _zeros = accelerator.Allocate1D<float>(geometry.Channels);
            _zeros.MemSetToZero();
        }
        catch
        {
            _perSample.Dispose();
            throw;
        }
    }

    // input (B, C, H, W), weight (C, O, K, K), bias (O) -> output (B, O, OH, OW)
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch)
    {
        // forward: y[o, u, v] = Σ_c Σ_a Σ_b w[c, o, a, b] x[c, i, j] over the (i, j) with i·s - p + a·d = u, j·s - p + b·d = v,
        // the input gradient of the transposed conv2d for dy = x
        _kernels.ConvolutionInputGradient(batch * OutputSize, output, input, _weight, _transposed);
        if (_bias.Length > 0)
        {
            _kernels.AddChannelBias(batch * OutputSize, output, _bias, _geometry);
        }
    }

    // outputGradient (B, O, OH, OW) -> inputGradient (B, C, H, W); weight gradient (C, O, K, K) += ..., bias gradient (O) += ...
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        int weights = _geometry.Weights;
        // dw[c, o, a, b] (this sample) = Σ_i Σ_j x[c, i, j] dy[o, i·s - p + a·d, j·s - p + b·d]: the transposed conv2d's weight
        // gradient with x as its output gradient and dy as its input
        _kernels.ConvolutionSampleWeightGradient(batch * weights, _perSample.View, input, outputGradient, _transposed);
        _kernels.AddSampleSums(weights, _weightGradient, _perSample.View, batch, weights);
        if (_biasGradient.Length > 0)
        {
            int channels = _geometry.OutChannels;
            _kernels.ConvolutionSampleBiasGradient(batch * channels, _perSample.View, outputGradient, _geometry);
            _kernels.AddSampleSums(channels, _biasGradient, _perSample.View, batch, channels);
        }
        if (inputGradient.Length > 0)
        {
            // dx[c, i, j] = Σ_o Σ_a Σ_b w[c, o, a, b] dy[o, i·s - p + a·d, j·s - p + b·d]: the transposed conv2d's forward
            _kernels.ConvolutionForward(batch * InputSize, inputGradient, outputGradient, _weight, _zeros.View, _transposed);
        }
    }

    public override void Dispose()
    {
        _perSample.Dispose();
        _zeros.Dispose();
        base.Dispose();
    }
}
