using System.Numerics.Tensors;
using DistributedTrainer.Numerics.Initializers;
using DistributedTrainer.Numerics.Kernels;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// 2-D convolution over NCHW images (PyTorch's Conv2d: a cross-correlation), parameters "weight"
/// (O, C, K, K) and optionally "bias" (O). The batch is unfolded with im2col into one matrix of
/// C·K·K rows by B·OH·OW columns, so the forward pass is one GEMM and the backward pass two; those GEMMs
/// thread over their output tiles and never split a sum, so results do not depend on the thread count.
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
        _columns = new BatchScratch(checked(ColumnRows * OutputShape.PlaneSize));
        _product = new BatchScratch(OutputShape.Size);
    }

    /// <inheritdoc/>
    public ImageShape OutputShape { get; }

    public override int OutputSize => OutputShape.Size;

    /// <summary>Kernel side, stride, padding and dilation.</summary>
    public WindowGeometry Window => _window;

    // C·K·K: the length of one output position's receptive field, the GEMM's inner dimension.
    private int ColumnRows => _input.Channels * _window.Kernel * _window.Kernel;

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

    // input (B, C, H, W), weight (O, C·K·K), bias (O) -> output (B, O, OH, OW)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        int positions = OutputShape.PlaneSize, columnsWide = batch * positions, outChannels = OutputShape.Channels;
        Span<float> columns = _columns.Rows(batch);
        for (int b = 0; b < batch; b++)
        {
            Im2Col.Unfold(columns[(b * positions)..], columnsWide, input.Slice(b * InputSize, InputSize), _input, _window);
        }
        Span<float> product = _product.Rows(batch);
        // forward: Y = W · columns + b, (O, C·K·K) · (C·K·K, B·P)
        Gemm.Multiply(product, Store.ValuesOf(ParameterViews[0]), columns, outChannels, columnsWide, ColumnRows);
        ReadOnlySpan<float> bias = _hasBias ? Store.ValuesOf(ParameterViews[1]) : default;
        for (int b = 0; b < batch; b++)
        {
            for (int o = 0; o < outChannels; o++)
            {
                ReadOnlySpan<float> source = product.Slice((o * columnsWide) + (b * positions), positions);
                Span<float> destination = output.Slice((b * OutputSize) + (o * positions), positions);
                if (_hasBias)
                {
                    TensorPrimitives.Add(source, bias[o], destination);
                }
                else
                {
                    source.CopyTo(destination);
                }
            }
        }
    }

    // outputGradient (B, O, OH, OW) -> inputGradient (B, C, H, W); weight gradient (O, C·K·K) += ..., bias gradient (O) += ...
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        int positions = OutputShape.PlaneSize, columnsWide = batch * positions, outChannels = OutputShape.Channels;
        Span<float> columns = _columns.Rows(batch);
        Span<float> product = _product.Rows(batch);
        for (int b = 0; b < batch; b++)
        {
            for (int o = 0; o < outChannels; o++)
            {
                outputGradient.Slice((b * OutputSize) + (o * positions), positions)
                    .CopyTo(product.Slice((o * columnsWide) + (b * positions), positions));
            }
        }
        // forward: Y = W · columns + b  =>  dW += dY · columns^T, (O, B·P) · (B·P, C·K·K)
        Gemm.Multiply(Store.GradientsOf(ParameterViews[0]), product, columns, outChannels, ColumnRows, columnsWide,
            transposeB: true, accumulate: true);
        if (_hasBias)
        {
            // forward: Y = ... + b  =>  db[o] += Σ over samples and positions of dY[o]
            Span<float> biasGradient = Store.GradientsOf(ParameterViews[1]);
            for (int o = 0; o < outChannels; o++)
            {
                biasGradient[o] += TensorPrimitives.Sum(product.Slice(o * columnsWide, columnsWide));
            }
        }
        if (inputGradient.IsEmpty)
        {
            return;
        }
        // forward: Y = W · columns  =>  dColumns = W^T · dY, (C·K·K, O) · (O, B·P), over the unfolded input now used
        Gemm.Multiply(columns, Store.ValuesOf(ParameterViews[0]), product, ColumnRows, columnsWide, outChannels,
            transposeA: true);
        // forward: columns = im2col(x)  =>  dx = col2im(dColumns)
        inputGradient[..(batch * InputSize)].Clear();
        for (int b = 0; b < batch; b++)
        {
            Im2Col.Fold(inputGradient.Slice(b * InputSize, InputSize), columns[(b * positions)..], columnsWide, _input, _window);
        }
    }

    protected override void Dispose(bool disposing)
    {
        _columns.Dispose();
        _product.Dispose();
        base.Dispose(disposing);
    }
}
