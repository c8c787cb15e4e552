using System.Numerics.Tensors;
using DistributedTrainer.Numerics.Initializers;
using DistributedTrainer.Numerics.Kernels;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// 2-D convolution over NCHW images (PyTorch's Conv2d: a cross-correlation), parameters "weight"
/// (O, C, K, K) and optionally "bias" (O). Each shape takes one of two paths (<see cref="Path"/>): im2col +
/// GEMM (<see cref="Im2ColConvolution"/>) or direct (<see cref="DirectConvolution"/>); both thread over outputs
/// and never split a sum, so results do not depend on the thread count.
/// </summary>
public sealed class Conv2d : Layer, IImageLayer
{
    private readonly ImageShape _input;
    private readonly WindowGeometry _window;
    private readonly bool _hasBias;
    private readonly Initializer _weightInitializer;
    private readonly Initializer _biasInitializer;
    // (C·K·K, B·P), P = OH·OW: the unfolded input of the last forward pass; backward first reads it for the weight
    // gradient, then overwrites it with the column gradient.
    private readonly BatchScratch _columns;
    // (O, B·P): the GEMM's output before reordering to (B, O, P), and in backward the output gradient reordered.
    private readonly BatchScratch _product;

    /// <param name="name">Layer name; parameters are "&lt;name&gt;.weight" and "&lt;name&gt;.bias".</param>
    /// <param name="input">The image of each input row.</param>
    /// <param name="outChannels">Channels out (O), at least 1.</param>
    /// <param name="window">Kernel side, stride, zero padding and dilation; must fit the padded input.</param>
    /// <param name="hasBias">Whether the layer adds a learned bias per output channel.</param>
    /// <param name="weightInitializer">Fills the weight as (O, C·K·K) with fanIn = C·K·K, fanOut = O.</param>
    /// <param name="biasInitializer">Fills the bias with fanIn = fanOut = O.</param>
    public Conv2d(string name, ImageShape input, int outChannels, WindowGeometry window, bool hasBias,
        Initializer weightInitializer, Initializer biasInitializer)
        : base(name, input.Size)
    {
        input.Validate(name);
        window.Validate(name, input);
        if (outChannels < 1)
        {
            throw new ArgumentException($"Invalid out channels for conv2d layer '{name}': {outChannels} (must be at least 1).",
                nameof(outChannels));
        }
        ArgumentNullException.ThrowIfNull(weightInitializer);
        ArgumentNullException.ThrowIfNull(biasInitializer);
        _input = input;
        _window = window;
        _hasBias = hasBias;
        _weightInitializer = weightInitializer;
        _biasInitializer = biasInitializer;
        OutputShape = window.OutputShape(input, outChannels);
        Path = ChoosePath(input, window);
        // The direct path needs no batch-sized scratch of its own (its per-thread scratch is one sample).
        bool im2col = Path == ConvolutionPath.Im2Col;
        _columns = new BatchScratch(im2col ? checked(ColumnRows * OutputShape.PlaneSize) : 0);
        _product = new BatchScratch(im2col ? OutputShape.Size : 0);
    }

    /// <inheritdoc/>
    public ImageShape OutputShape { get; }

    public override int OutputSize => OutputShape.Size;

    /// <summary>The image of each input row.</summary>
    public ImageShape InputShape => _input;

    /// <summary>Kernel side, stride, padding and dilation.</summary>
    public WindowGeometry Window => _window;

    /// <summary>Whether the layer adds a learned bias per output channel (its second parameter).</summary>
    public bool HasBias => _hasBias;

    /// <summary>How this layer computes, chosen from its shape alone (so every machine and worker count agrees).</summary>
    public ConvolutionPath Path { get; }

    // C·K·K: the length of one output position's receptive field, the GEMM's inner dimension.
    private int ColumnRows => _input.Channels * _window.Kernel * _window.Kernel;

    /// <summary>
    /// The path for a shape: a fixed rule drawn from measurements, never a timing at run time, so a model
    /// computes the same bits on every machine and worker count. Direct for one input channel at stride 1,
    /// im2col for everything else.
    /// </summary>
    /// <remarks>
    /// `Bench conv` at batch 128 (docs/BENCHMARKS.md, "Conv kernels per LeNet-5 shape", 2026-12-04, Zen 5 with
    /// AVX-512, 2 shared cores; GFLOP/s direct against im2col, 1 thread, 512-bit): LeNet-5's conv1, 1 -> 6
    /// channels, 28x28, 5x5, padding 2: forward 34.0 against 12.9, input gradient 34.5 against 13.1, weight
    /// gradient 40.8 against 21.8; direct is 1.3 to 3.1 times faster on 1 and 2 threads, 512 and 256 bits, in
    /// all three runs. With one channel the column matrix is K·K = 25 copies of the image and the GEMM's inner
    /// dimension only 25, so im2col mostly moves memory. conv2, 6 -> 16 channels, 14x14, 5x5: forward 16.7
    /// against 21.8, input gradient 10.8 against 29.9, weight gradient 34.1 against 62.3: the 16 x 12800 x 150
    /// GEMM earns back its unfolding, and direct's 10-wide rows fill 10 of 16 lanes. Strided windows stay on
    /// im2col too: the direct kernel's strided loops are scalar.
    /// </remarks>
    internal static ConvolutionPath ChoosePath(ImageShape input, WindowGeometry window) =>
        input.Channels == 1 && window.Stride == 1 ? ConvolutionPath.Direct : ConvolutionPath.Im2Col;

    public override IReadOnlyList<ParameterDeclaration> DeclareParameters()
    {
        var weight = new ParameterDeclaration("weight", [OutputShape.Channels, _input.Channels, _window.Kernel, _window.Kernel],
            ParameterRole.Weight);
        return _hasBias ? [weight, new("bias", [OutputShape.Channels], ParameterRole.Bias)] : [weight];
    }

    public override void Initialize(Random random)
    {
        _weightInitializer.Fill(Store.ValuesOf(ParameterViews[0]), ColumnRows, OutputShape.Channels, random);
        if (_hasBias)
        {
            _biasInitializer.Fill(Store.ValuesOf(ParameterViews[1]), OutputShape.Channels, OutputShape.Channels, random);
        }
    }

    public override void Reserve(int maxBatch)
    {
        _columns.Reserve(maxBatch);
        _product.Reserve(maxBatch);
    }

    // input (B, C, H, W), weight (O, C, K, K), bias (O) -> output (B, O, OH, OW)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        ReadOnlySpan<float> weight = Store.ValuesOf(ParameterViews[0]);
        ReadOnlySpan<float> bias = _hasBias ? Store.ValuesOf(ParameterViews[1]) : default;
        if (Path == ConvolutionPath.Direct)
        {
            DirectConvolution.Forward(output, input, weight, bias, batch, _input, OutputShape.Channels, _window);
            return;
        }
        Im2ColConvolution.Forward(GemmInstructionSets.Best, ComputeThreads.ForCurrentThread, output, _columns.Rows(batch),
            _product.Rows(batch), input, weight, bias, batch, _input, OutputShape.Channels, _window);
    }

    // outputGradient (B, O, OH, OW) -> inputGradient (B, C, H, W); weight gradient (O, C, K, K) += ..., bias gradient (O) += ...
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        int outChannels = OutputShape.Channels;
        ReadOnlySpan<float> weight = Store.ValuesOf(ParameterViews[0]);
        Span<float> weightGradient = Store.GradientsOf(ParameterViews[0]);
        Span<float> biasGradient = _hasBias ? Store.GradientsOf(ParameterViews[1]) : default;
        if (Path == ConvolutionPath.Direct)
        {
            DirectConvolution.BackwardWeight(weightGradient, outputGradient, input, batch, _input, outChannels, _window);
            // forward: Y = ... + b  =>  db[o] += Σ over samples and positions of dY[o], samples in order
            for (int o = 0; o < biasGradient.Length; o++)
            {
                float sum = 0f;
                for (int b = 0; b < batch; b++)
                {
                    sum += TensorPrimitives.Sum(outputGradient.Slice((b * OutputSize) + (o * OutputShape.PlaneSize),
                        OutputShape.PlaneSize));
                }
                biasGradient[o] += sum;
            }
            if (!inputGradient.IsEmpty)
            {
                DirectConvolution.BackwardData(inputGradient, outputGradient, weight, batch, _input, outChannels, _window);
            }
            return;
        }
        GemmInstructionSet set = GemmInstructionSets.Best;
        int threads = ComputeThreads.ForCurrentThread;
        Span<float> columns = _columns.Rows(batch), product = _product.Rows(batch);
        Im2ColConvolution.BackwardWeight(set, threads, weightGradient, biasGradient, product, outputGradient, columns, batch,
            _input, outChannels, _window);
        if (!inputGradient.IsEmpty)
        {
            Im2ColConvolution.BackwardData(set, threads, inputGradient, columns, product, weight, batch, _input, outChannels,
                _window);
        }
    }

    protected override void Dispose(bool disposing)
    {
        _columns.Dispose();
        _product.Dispose();
        base.Dispose(disposing);
    }
}
