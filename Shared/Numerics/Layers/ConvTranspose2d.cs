using System.Numerics.Tensors;
using DistributedTrainer.Numerics.Initializers;
using DistributedTrainer.Numerics.Kernels;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// 2-D transposed convolution ("deconvolution") over NCHW images, PyTorch's ConvTranspose2d: the input gradient of a
/// <see cref="Conv2d"/> with the same window run as a layer, so each input pixel scatters a kernel-sized patch onto an
/// output that grows by the stride. Parameters "weight" (C, O, K, K), PyTorch's layout, and optionally "bias" (O).
/// Output side = (side - 1)·stride - 2·padding + dilation·(kernel - 1) + output_padding + 1. Vectorized as GEMM plus
/// col2im: columns (O·K·K, B·H·W) = Wᵀ · x, folded onto the output; backward unfolds the output gradient (im2col)
/// and needs two more GEMMs. As with Conv2d, the GEMMs never split a sum, so results do not depend on threads.
/// </summary>
public sealed class ConvTranspose2d : Layer, IImageLayer
{
    private readonly ImageShape _input;
    private readonly WindowGeometry _window;
    private readonly bool _hasBias;
    private readonly Initializer _weightInitializer;
    private readonly Initializer _biasInitializer;
    // (C, B·H·W): the input of the last forward pass reordered channel-major; in backward, then the input gradient.
    private readonly BatchScratch _inputMatrix;
    // (O·K·K, B·H·W): the scattered patches before folding; in backward, the unfolded output gradient.
    private readonly BatchScratch _columns;

    /// <param name="name">Layer name; parameters are "&lt;name&gt;.weight" and "&lt;name&gt;.bias".</param>
    /// <param name="input">The image of each input row (C, H, W).</param>
    /// <param name="outChannels">Channels out (O), at least 1.</param>
    /// <param name="window">Kernel side, stride, padding (removed from each side of the output) and dilation.</param>
    /// <param name="outputPadding">Extra rows and columns on one side of the output, in [0, stride).</param>
    /// <param name="hasBias">Whether the layer adds a learned bias per output channel.</param>
    /// <param name="weightInitializer">Fills the weight as (C, O·K·K) with fanIn = C·K·K, fanOut = O.</param>
    /// <param name="biasInitializer">Fills the bias with fanIn = fanOut = O.</param>
    public ConvTranspose2d(string name, ImageShape input, int outChannels, WindowGeometry window, int outputPadding,
        bool hasBias, Initializer weightInitializer, Initializer biasInitializer)
        : base(name, input.Size)
    {
        input.Validate(name);
        if (outChannels < 1)
        {
            throw new ArgumentException($"Invalid out channels for conv_transpose2d layer '{name}': {outChannels} (must be at least 1).",
                nameof(outChannels));
        }
        if (window.Kernel < 1 || window.Stride < 1 || window.Padding < 0 || window.Dilation < 1)
        {
            throw new ArgumentException(
                $"Invalid window for conv_transpose2d layer '{name}': kernel {window.Kernel}, stride {window.Stride}, padding {window.Padding}, dilation {window.Dilation}.",
                nameof(window));
        }
        if (outputPadding < 0 || outputPadding >= window.Stride)
        {
            throw new ArgumentException(
                $"Invalid output padding for conv_transpose2d layer '{name}': {outputPadding} (must be in [0, stride {window.Stride})).",
                nameof(outputPadding));
        }
        ArgumentNullException.ThrowIfNull(weightInitializer);
        ArgumentNullException.ThrowIfNull(biasInitializer);
        OutputShape = OutputShapeOf(input, outChannels, window, outputPadding);
        if (OutputShape.Height < 1 || OutputShape.Width < 1)
        {
            throw new ArgumentException(
                $"Invalid window for conv_transpose2d layer '{name}': padding {window.Padding} removes the whole output of the input {input}.",
                nameof(window));
        }
        _input = input;
        _window = window;
        _hasBias = hasBias;
        _weightInitializer = weightInitializer;
        _biasInitializer = biasInitializer;
        _inputMatrix = new BatchScratch(input.Size);
        _columns = new BatchScratch(checked(ColumnRows * input.PlaneSize));
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

    /// <summary>The output image of a transposed convolution (PyTorch's size rule).</summary>
    public static ImageShape OutputShapeOf(ImageShape input, int outChannels, WindowGeometry window, int outputPadding)
    {
        int Side(int length) => checked(((length - 1) * window.Stride) - (2 * window.Padding) + window.Extent + outputPadding);
        return new ImageShape(outChannels, Side(input.Height), Side(input.Width));
    }

    // O·K·K: the patch each input pixel scatters, the GEMM's output rows.
    private int ColumnRows => OutputShape.Channels * _window.Kernel * _window.Kernel;

    public override IReadOnlyList<ParameterDeclaration> DeclareParameters()
    {
        var weight = new ParameterDeclaration("weight", [_input.Channels, OutputShape.Channels, _window.Kernel, _window.Kernel],
            ParameterRole.Weight);
        return _hasBias ? [weight, new("bias", [OutputShape.Channels], ParameterRole.Bias)] : [weight];
    }

    public override void Initialize(Random random)
    {
        _weightInitializer.Fill(Store.ValuesOf(ParameterViews[0]), _input.Channels * _window.Kernel * _window.Kernel,
            OutputShape.Channels, random);
        if (_hasBias)
        {
            _biasInitializer.Fill(Store.ValuesOf(ParameterViews[1]), OutputShape.Channels, OutputShape.Channels, random);
        }
    }

    public override void Reserve(int maxBatch)
    {
        _inputMatrix.Reserve(maxBatch);
        _columns.Reserve(maxBatch);
    }

    // input (B, C, H, W), weight (C, O·K·K), bias (O) -> output (B, O, OH, OW)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        int positions = _input.PlaneSize, columnsWide = batch * positions, channels = _input.Channels;
        Span<float> matrix = _inputMatrix.Rows(batch);
        for (int b = 0; b < batch; b++)
        {
            for (int c = 0; c < channels; c++)
            {
                input.Slice((b * InputSize) + (c * positions), positions).CopyTo(matrix.Slice((c * columnsWide) + (b * positions), positions));
            }
        }
        Span<float> columns = _columns.Rows(batch);
        // forward: columns = Wᵀ · x, (O·K·K, C) · (C, B·P)
        Gemm.Multiply(columns, Store.ValuesOf(ParameterViews[0]), matrix, ColumnRows, columnsWide, channels, transposeA: true);
        // forward: y = col2im(columns) + b: each patch lands where the matching conv2d would have read its window
        output[..(batch * OutputSize)].Clear();
        int planes = OutputShape.PlaneSize;
        ReadOnlySpan<float> bias = _hasBias ? Store.ValuesOf(ParameterViews[1]) : default;
        for (int b = 0; b < batch; b++)
        {
            var image = output.Slice(b * OutputSize, OutputSize);
            Im2Col.Fold(image, columns[(b * positions)..], columnsWide, OutputShape, _window);
            for (int o = 0; o < OutputShape.Channels && _hasBias; o++)
            {
                var plane = image.Slice(o * planes, planes);
                TensorPrimitives.Add(plane, bias[o], plane);
            }
        }
    }

    // outputGradient (B, O, OH, OW) -> inputGradient (B, C, H, W); weight gradient (C, O·K·K) += ..., bias gradient (O) += ...
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        int positions = _input.PlaneSize, columnsWide = batch * positions, channels = _input.Channels;
        Span<float> columns = _columns.Rows(batch);
        // forward: y = col2im(columns)  =>  dColumns = im2col(dy)
        for (int b = 0; b < batch; b++)
        {
            Im2Col.Unfold(columns[(b * positions)..], columnsWide, outputGradient.Slice(b * OutputSize, OutputSize), OutputShape, _window);
        }
        Span<float> matrix = _inputMatrix.Rows(batch);
        // forward: columns = Wᵀ · x  =>  dW += x · dColumnsᵀ, (C, B·P) · (B·P, O·K·K)
        Gemm.Multiply(Store.GradientsOf(ParameterViews[0]), matrix, columns, channels, ColumnRows, columnsWide,
            transposeB: true, accumulate: true);
        if (_hasBias)
        {
            // forward: y = ... + b  =>  db[o] += Σ over samples and positions of dy[o]
            Span<float> biasGradient = Store.GradientsOf(ParameterViews[1]);
            int planes = OutputShape.PlaneSize;
            for (int b = 0; b < batch; b++)
            {
                for (int o = 0; o < OutputShape.Channels; o++)
                {
                    biasGradient[o] += TensorPrimitives.Sum(outputGradient.Slice((b * OutputSize) + (o * planes), planes));
                }
            }
        }
        if (inputGradient.IsEmpty)
        {
            return;
        }
        // forward: columns = Wᵀ · x  =>  dx = W · dColumns, (C, O·K·K) · (O·K·K, B·P), over the input matrix now used
        Gemm.Multiply(matrix, Store.ValuesOf(ParameterViews[0]), columns, channels, columnsWide, ColumnRows);
        for (int b = 0; b < batch; b++)
        {
            for (int c = 0; c < channels; c++)
            {
                matrix.Slice((c * columnsWide) + (b * positions), positions).CopyTo(inputGradient.Slice((b * InputSize) + (c * positions), positions));
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        _inputMatrix.Dispose();
        _columns.Dispose();
        base.Dispose(disposing);
    }
}
