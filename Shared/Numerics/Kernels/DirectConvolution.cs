using DistributedTrainer.Numerics.Layers;

namespace DistributedTrainer.Numerics.Kernels;

/// <summary>
/// 2-D convolution over NCHW batches computed in place of im2col + GEMM: each sample's planes are copied once
/// into a zero-padded scratch, and output rows are accumulated in vector registers straight from it, so no
/// C·K·K-times larger column matrix goes through memory. Stride 1 runs the vector rows of
/// <see cref="DirectConvolutionRows"/> (512 or 256 bits); other strides, and machines without 256-bit vectors,
/// run scalar loops over the same padded scratch.
/// </summary>
/// <remarks>
/// Threads split the forward and input-gradient passes over samples and the weight-gradient pass over output
/// channels; every output element is summed by one thread in a fixed order (input channel, then tap; samples
/// in order for the weight gradient), so results are bitwise identical for every thread count (not across
/// instruction sets, as for <see cref="Gemm"/>). Scratch is per thread and kept, so steady state allocates nothing.
/// </remarks>
internal sealed unsafe class DirectConvolution
{
    [ThreadStatic]
    private static DirectConvolution? t_current;

    // Per thread: one sample's padded source planes, a padded output-gradient plane or scatter target, and
    // weight-gradient partial sums.
    [ThreadStatic]
    private static AlignedBuffer? t_source;

    [ThreadStatic]
    private static AlignedBuffer? t_other;

    [ThreadStatic]
    private static AlignedBuffer? t_sums;

    private readonly Action<int> _runChunk;
    private AlignedBuffer? _packed;
    private Pass _pass;
    private int _lanes;
    private Correlation _geometry;
    private float* _output;
    private float* _input;
    private float* _second;
    private float* _bias;
    private int _batch;
    private int _units;
    private int _chunks;

    private DirectConvolution() => _runChunk = RunChunk;

    private enum Pass
    {
        Correlate,
        Scatter,
        WeightGradient,
    }

    /// <summary>
    /// input (B, C, H, W), weight (O, C, K, K), bias (O) or empty -> output (B, O, OH, OW), overwritten.
    /// </summary>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, int batch, ImageShape shape, int outChannels, WindowGeometry window) =>
        Forward(GemmInstructionSets.Best, ComputeThreads.ForCurrentThread, output, input, weight, bias, batch, shape,
            outChannels, window);

    /// <summary>As the public overload, with the instruction set and thread count given (tests pin both).</summary>
    internal static void Forward(GemmInstructionSet set, int threads, Span<float> output, ReadOnlySpan<float> input,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int batch, ImageShape shape, int outChannels,
        WindowGeometry window)
    {
        ImageShape outShape = Check(set, threads, output.Length, input.Length, weight.Length, batch, shape, outChannels, window);
        if (!bias.IsEmpty && bias.Length < outChannels)
        {
            throw new ArgumentException($"Invalid bias for direct conv2d: {bias.Length} floats for {outChannels} channels out.", nameof(bias));
        }
        var geometry = new Correlation(shape.Channels, shape.Height, shape.Width, outChannels, outShape.Height,
            outShape.Width, window.Kernel, window.Stride, window.Dilation, window.Padding);
        fixed (float* y = output, x = input, w = weight, b = bias)
        {
            DirectConvolution job = t_current ??= new DirectConvolution();
            job.Start(set, geometry, batch, y, x, null, bias.IsEmpty ? null : b);
            job.PackWeights(w, flip: false);
            job.Run(Pass.Correlate, threads, batch, (long)batch * outShape.Size * shape.Channels * window.Kernel * window.Kernel);
        }
    }

    /// <summary>
    /// outputGradient (B, O, OH, OW), weight (O, C, K, K) -> inputGradient (B, C, H, W), overwritten.
    /// </summary>
    public static void BackwardData(Span<float> inputGradient, ReadOnlySpan<float> outputGradient,
        ReadOnlySpan<float> weight, int batch, ImageShape shape, int outChannels, WindowGeometry window) =>
        BackwardData(GemmInstructionSets.Best, ComputeThreads.ForCurrentThread, inputGradient, outputGradient, weight,
            batch, shape, outChannels, window);

    /// <summary>As the public overload, with the instruction set and thread count given.</summary>
    internal static void BackwardData(GemmInstructionSet set, int threads, Span<float> inputGradient,
        ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> weight, int batch, ImageShape shape, int outChannels,
        WindowGeometry window)
    {
        ImageShape outShape = Check(set, threads, outputGradient.Length, inputGradient.Length, weight.Length, batch, shape,
            outChannels, window);
        long work = (long)batch * outShape.Size * shape.Channels * window.Kernel * window.Kernel;
        fixed (float* dx = inputGradient, dy = outputGradient, w = weight)
        {
            DirectConvolution job = t_current ??= new DirectConvolution();
            if (window.Stride == 1)
            {
                // forward: y[o, i, j] = Σ w[o, c, a, b] x[c, i - p + a·d, j - p + b·d]
                //   =>  dx[c, u, v] = Σ w[o, c, K-1-a, K-1-b] dy[o, u - p' + a·d, v - p' + b·d], p' = (K-1)·d - p:
                // the same correlation, channels swapped, kernel flipped, dy padded by p' (cropped where p' < 0).
                var geometry = new Correlation(outChannels, outShape.Height, outShape.Width, shape.Channels, shape.Height,
                    shape.Width, window.Kernel, 1, window.Dilation, ((window.Kernel - 1) * window.Dilation) - window.Padding);
                job.Start(set, geometry, batch, dx, dy, null, null);
                job.PackWeights(w, flip: true);
                job.Run(Pass.Correlate, threads, batch, work);
            }
            else
            {
                // Strided windows leave holes in dx, so each dy value is scattered onto its taps instead.
                var geometry = new Correlation(shape.Channels, shape.Height, shape.Width, outChannels, outShape.Height,
                    outShape.Width, window.Kernel, window.Stride, window.Dilation, window.Padding);
                job.Start(GemmInstructionSet.Scalar, geometry, batch, dx, dy, w, null);
                job.Run(Pass.Scatter, threads, batch, work);
            }
        }
    }

    /// <summary>
    /// weightGradient (O, C, K, K) += Σ over samples and positions of outputGradient (B, O, OH, OW) times the
    /// input taps of input (B, C, H, W).
    /// </summary>
    public static void BackwardWeight(Span<float> weightGradient, ReadOnlySpan<float> outputGradient,
        ReadOnlySpan<float> input, int batch, ImageShape shape, int outChannels, WindowGeometry window) =>
        BackwardWeight(GemmInstructionSets.Best, ComputeThreads.ForCurrentThread, weightGradient, outputGradient, input,
            batch, shape, outChannels, window);

    /// <summary>As the public overload, with the instruction set and thread count given.</summary>
    internal static void BackwardWeight(GemmInstructionSet set, int threads, Span<float> weightGradient,
        ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input, int batch, ImageShape shape, int outChannels,
        WindowGeometry window)
    {
        ImageShape outShape = Check(set, threads, outputGradient.Length, input.Length, weightGradient.Length, batch, shape,
            outChannels, window);
        var geometry = new Correlation(shape.Channels, shape.Height, shape.Width, outChannels, outShape.Height,
            outShape.Width, window.Kernel, window.Stride, window.Dilation, window.Padding);
        fixed (float* dw = weightGradient, dy = outputGradient, x = input)
        {
            DirectConvolution job = t_current ??= new DirectConvolution();
            job.Start(set, geometry, batch, dw, x, dy, null);
            // forward: y[o, i, j] = Σ w[o, c, a, b] x[c, i·s - p + a·d, j·s - p + b·d]
            //   =>  dw[o, c, a, b] += Σ over samples, i, j of dy[o, i, j] x[c, i·s - p + a·d, j·s - p + b·d]
            job.Run(Pass.WeightGradient, threads, outChannels, (long)batch * outShape.Size * shape.Channels * window.Kernel * window.Kernel);
        }
    }

    private static ImageShape Check(GemmInstructionSet set, int threads, int outputSide, int inputSide, int weightLength,
        int batch, ImageShape shape, int outChannels, WindowGeometry window)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outChannels, 1);
        if (!GemmInstructionSets.IsSupported(set))
        {
            throw new ArgumentException($"Invalid instruction set: {set} (this machine does not accelerate it)", nameof(set));
        }
        shape.Validate("direct conv2d");
        window.Validate("direct conv2d", shape);
        ImageShape outShape = window.OutputShape(shape, outChannels);
        long weights = (long)outChannels * shape.Channels * window.Kernel * window.Kernel;
        if (outputSide < (long)batch * outShape.Size || inputSide < (long)batch * shape.Size || weightLength < weights)
        {
            throw new ArgumentException(
                $"Invalid spans for direct conv2d of {batch} x {shape} -> {outShape}, window {window}: output side " +
                $"{outputSide} floats (need {(long)batch * outShape.Size}), input side {inputSide} (need " +
                $"{(long)batch * shape.Size}), weight {weightLength} (need {weights}).");
        }
        return outShape;
    }

    private void Start(GemmInstructionSet set, in Correlation geometry, int batch, float* output, float* input, float* second, float* bias)
    {
        // The vector rows need unit stride (contiguous taps); 128-bit machines take the scalar loops.
        _lanes = geometry.Stride != 1 ? 1 : set switch
        {
            GemmInstructionSet.Vector512 => 16,
            GemmInstructionSet.Vector256 => 8,
            _ => 1,
        };
        _geometry = geometry;
        _batch = batch;
        _output = output;
        _input = input;
        _second = second;
        _bias = bias;
    }

    // weight (O, C, K, K) -> packed (ceil(rows / 4), columns, K·K, 4): four output rows' weights side by side per
    // tap, zero past the last row. Forward: rows = O, columns = C. Flipped (input gradient): rows = C,
    // columns = O, taps reversed.
    private void PackWeights(float* weight, bool flip)
    {
        int rows = _geometry.OutChannels, columns = _geometry.InChannels, taps = _geometry.Taps;
        int blocks = (rows + 3) / 4, length = blocks * columns * taps * 4;
        float* packed = Ensure(ref _packed, length);
        new Span<float>(packed, length).Clear();
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                float* target = packed + ((((r >> 2) * columns) + c) * taps * 4) + (r & 3);
                for (int t = 0; t < taps; t++)
                {
                    target[t * 4] = flip
                        ? weight[(((c * rows) + r) * taps) + (taps - 1 - t)]
                        : weight[(((r * columns) + c) * taps) + t];
                }
            }
        }
    }

    private void Run(Pass pass, int threads, int units, long multiplyAdds)
    {
        _pass = pass;
        _units = units;
        _chunks = multiplyAdds < GemmJob.ParallelThreshold ? 1 : Math.Max(1, Math.Min(threads, units));
        try
        {
            if (_chunks <= 1)
            {
                RunChunk(0);
            }
            else
            {
                Parallel.For(0, _chunks, _runChunk);
            }
        }
        finally
        {
            _output = _input = _second = _bias = null;
        }
    }

    private void RunChunk(int chunk)
    {
        int first = (int)((long)_units * chunk / _chunks), end = (int)((long)_units * (chunk + 1) / _chunks);
        Correlation g = _geometry;
        int* taps = stackalloc int[g.Taps];
        int chunkWidth = g.ChunkWidth(_lanes);
        int paddedWidth = g.PaddedWidth(chunkWidth), paddedHeight = g.PaddedHeight;
        for (int a = 0; a < g.Kernel; a++)
        {
            for (int b = 0; b < g.Kernel; b++)
            {
                taps[(a * g.Kernel) + b] = (a * g.Dilation * paddedWidth) + (b * g.Dilation);
            }
        }
        int paddedPlane = paddedHeight * paddedWidth;
        float* source = Ensure(ref t_source, g.InChannels * paddedPlane);
        float* spill = stackalloc float[32];
        var rows = new DirectConvolutionRows(source, paddedPlane, g.InChannels, taps, g.Taps, spill);
        switch (_pass)
        {
            case Pass.Correlate:
                for (int n = first; n < end; n++)
                {
                    Pad(source, paddedHeight, paddedWidth, _input + ((long)n * g.InSample), g.InChannels, g.InHeight,
                        g.InWidth, g.Padding);
                    CorrelateSample(_output + ((long)n * g.OutSample), rows, source, paddedWidth, paddedPlane, taps, chunkWidth);
                }
                break;
            case Pass.Scatter:
                for (int n = first; n < end; n++)
                {
                    ScatterSample(_output + ((long)n * g.InSample), _input + ((long)n * g.OutSample), source, paddedHeight,
                        paddedWidth, taps);
                }
                break;
            default:
                WeightGradient(first, end, rows, source, paddedHeight, paddedWidth, taps, chunkWidth);
                break;
        }
    }

    // One sample: output (O, OH, OW) = bias + Σ over c and taps of packed weights times padded source rows.
    private void CorrelateSample(float* output, in DirectConvolutionRows rows, float* source, int paddedWidth, int paddedPlane, int* taps, int chunkWidth)
    {
        Correlation g = _geometry;
        float* packed = _packed!.Pointer;
        int blockStride = g.InChannels * g.Taps * 4, outPlane = g.OutHeight * g.OutWidth;
        if (_lanes > 1)
        {
            for (int i = 0; i < g.OutHeight; i++)
            {
                for (int j = 0; j < g.OutWidth; j += chunkWidth)
                {
                    int valid = Math.Min(chunkWidth, g.OutWidth - j), o = 0;
                    float* row = source + (i * paddedWidth) + j, target = output + (i * g.OutWidth) + j;
                    for (; o + 4 <= g.OutChannels; o += 4)
                    {
                        rows.Four(_lanes, chunkWidth, row, packed + ((o >> 2) * blockStride), Bias(o), target + (o * outPlane),
                            outPlane, valid);
                    }
                    for (; o < g.OutChannels; o++)
                    {
                        rows.One(_lanes, chunkWidth, row, packed + ((o >> 2) * blockStride) + (o & 3), Bias(o),
                            target + (o * outPlane), valid);
                    }
                }
            }
            return;
        }
        for (int o = 0; o < g.OutChannels; o++)
        {
            float* weights = packed + ((o >> 2) * blockStride) + (o & 3);
            for (int i = 0; i < g.OutHeight; i++)
            {
                for (int j = 0; j < g.OutWidth; j++)
                {
                    float sum = _bias == null ? 0f : _bias[o];
                    float* window = source + (i * g.Stride * paddedWidth) + (j * g.Stride);
                    for (int c = 0; c < g.InChannels; c++)
                    {
                        float* plane = window + (c * paddedPlane), w = weights + (c * g.Taps * 4);
                        for (int t = 0; t < g.Taps; t++)
                        {
                            sum += w[t * 4] * plane[taps[t]];
                        }
                    }
                    output[(o * outPlane) + (i * g.OutWidth) + j] = sum;
                }
            }
        }
    }

    private float* Bias(int o) => _bias == null ? null : _bias + o;

    // Strided input gradient of one sample: every dy (O, OH, OW) value times its weights added onto its taps in a
    // padded (C, Hp, Wp) scratch, then the interior cropped into dx (C, H, W); rows and columns no window reaches
    // get zero.
    private void ScatterSample(float* inputGradient, float* outputGradient, float* scratch, int paddedHeight,
        int paddedWidth, int* taps)
    {
        Correlation g = _geometry;
        int paddedPlane = paddedHeight * paddedWidth, outPlane = g.OutHeight * g.OutWidth;
        new Span<float>(scratch, g.InChannels * paddedPlane).Clear();
        float* weight = _second;
        for (int o = 0; o < g.OutChannels; o++)
        {
            for (int i = 0; i < g.OutHeight; i++)
            {
                for (int j = 0; j < g.OutWidth; j++)
                {
                    float gradient = outputGradient[(o * outPlane) + (i * g.OutWidth) + j];
                    float* window = scratch + (i * g.Stride * paddedWidth) + (j * g.Stride);
                    for (int c = 0; c < g.InChannels; c++)
                    {
                        float* plane = window + (c * paddedPlane), w = weight + (((o * g.InChannels) + c) * g.Taps);
                        for (int t = 0; t < g.Taps; t++)
                        {
                            plane[taps[t]] += w[t] * gradient;
                        }
                    }
                }
            }
        }
        Crop(inputGradient, g.InChannels, g.InHeight, g.InWidth, scratch, paddedHeight, paddedWidth, g.Padding);
    }

    // Output channels [first, end): dw[o] += Σ over samples of the taps' dot products with dy[n, o]. Partial sums
    // live in per-thread scratch across the samples and are added to dw once, in lane order.
    private void WeightGradient(int first, int end, in DirectConvolutionRows rows, float* source, int paddedHeight, int paddedWidth, int* taps,
        int chunkWidth)
    {
        Correlation g = _geometry;
        int paddedPlane = paddedHeight * paddedWidth, outPlane = g.OutHeight * g.OutWidth;
        int sumsPerChannel = g.InChannels * g.Taps * chunkWidth;
        float* sums = Ensure(ref t_sums, (end - first) * sumsPerChannel);
        new Span<float>(sums, (end - first) * sumsPerChannel).Clear();
        int gradientWidth = (g.OutWidth + chunkWidth - 1) / chunkWidth * chunkWidth;
        float* gradient = Ensure(ref t_other, g.OutHeight * gradientWidth);
        float* dy = _second;
        for (int n = 0; n < _batch; n++)
        {
            float* x = _input + ((long)n * g.InSample);
            Pad(source, paddedHeight, paddedWidth, x, g.InChannels, g.InHeight, g.InWidth, g.Padding);
            for (int o = first; o < end; o++)
            {
                float* plane = dy + ((long)n * g.OutSample) + (o * outPlane);
                float* partial = sums + ((o - first) * sumsPerChannel);
                if (_lanes > 1)
                {
                    // dy rows padded with zeros to whole chunks, so lanes past the last column add nothing.
                    Pad(gradient, g.OutHeight, gradientWidth, plane, 1, g.OutHeight, g.OutWidth, 0);
                    rows.WeightGradient(_lanes, chunkWidth, partial, gradient, gradientWidth, g.OutHeight, paddedWidth);
                    continue;
                }
                for (int c = 0; c < g.InChannels; c++)
                {
                    float* input = source + (c * paddedPlane);
                    for (int t = 0; t < g.Taps; t++)
                    {
                        float sum = 0f;
                        for (int i = 0; i < g.OutHeight; i++)
                        {
                            float* line = input + (i * g.Stride * paddedWidth) + taps[t];
                            float* dyLine = plane + (i * g.OutWidth);
                            for (int j = 0; j < g.OutWidth; j++)
                            {
                                sum += dyLine[j] * line[j * g.Stride];
                            }
                        }
                        partial[(c * g.Taps) + t] += sum;
                    }
                }
            }
        }
        int lanes = _lanes > 1 ? chunkWidth : 1;
        for (int o = first; o < end; o++)
        {
            float* partial = sums + ((o - first) * sumsPerChannel);
            float* target = _output + ((long)o * g.InChannels * g.Taps);
            for (int r = 0; r < g.InChannels * g.Taps; r++)
            {
                float total = 0f;
                for (int l = 0; l < lanes; l++)
                {
                    total += partial[(r * lanes) + l];
                }
                target[r] += total;
            }
        }
    }

    // padded (channels, height, width) = planes (channels, rows, columns) shifted down and right by offset
    // (cropped where offset < 0), zero elsewhere.
    private static void Pad(float* padded, int height, int width, float* planes, int channels, int rows, int columns,
        int offset)
    {
        int firstColumn = Math.Max(0, offset), endColumn = Math.Min(width, columns + offset);
        for (int c = 0; c < channels; c++)
        {
            float* plane = planes + (c * rows * columns);
            for (int r = 0; r < height; r++)
            {
                Span<float> line = new(padded + (((c * height) + r) * width), width);
                int sourceRow = r - offset;
                if (sourceRow < 0 || sourceRow >= rows || firstColumn >= endColumn)
                {
                    line.Clear();
                    continue;
                }
                line[..firstColumn].Clear();
                line[endColumn..].Clear();
                new ReadOnlySpan<float>(plane + (sourceRow * columns) + firstColumn - offset, endColumn - firstColumn)
                    .CopyTo(line[firstColumn..endColumn]);
            }
        }
    }

    // planes (channels, rows, columns) = padded (channels, height, width) read at (r + offset, c + offset), zero
    // where that falls outside.
    private static void Crop(float* planes, int channels, int rows, int columns, float* padded, int height, int width,
        int offset)
    {
        int endColumn = Math.Clamp(width - offset, 0, columns);
        for (int c = 0; c < channels; c++)
        {
            for (int r = 0; r < rows; r++)
            {
                Span<float> line = new(planes + (((c * rows) + r) * columns), columns);
                int sourceRow = r + offset;
                if (sourceRow >= height)
                {
                    line.Clear();
                    continue;
                }
                new ReadOnlySpan<float>(padded + (((c * height) + sourceRow) * width) + offset, endColumn).CopyTo(line);
                line[endColumn..].Clear();
            }
        }
    }

    private static float* Ensure(ref AlignedBuffer? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer?.Dispose();
            buffer = new AlignedBuffer(Math.Max(length, (buffer?.Length ?? 0) * 3 / 2));
        }
        return buffer.Pointer;
    }
}
