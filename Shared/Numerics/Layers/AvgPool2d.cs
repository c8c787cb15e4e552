namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// Average pooling per channel over square windows (PyTorch's AvgPool2d with count_include_pad = true): each
/// output is the sum of its window's inputs divided by K·K, zero padding included in the count.
/// </summary>
public sealed class AvgPool2d : Layer, IImageLayer
{
    private readonly ImageShape _input;
    private readonly WindowGeometry _window;

    /// <param name="name">Layer name.</param>
    /// <param name="input">The image of each input row.</param>
    /// <param name="window">Window side, stride and padding (at most half the kernel); dilation must be 1.</param>
    public AvgPool2d(string name, ImageShape input, WindowGeometry window)
        : base(name, input.Size)
    {
        PoolWindows.Validate(name, input, window);
        _input = input;
        _window = window;
        OutputShape = window.OutputShape(input, input.Channels);
    }

    /// <inheritdoc/>
    public ImageShape OutputShape { get; }

    public override int OutputSize => OutputShape.Size;

    /// <summary>The image of each input row.</summary>
    public ImageShape InputShape => _input;

    /// <summary>Window side, stride and padding.</summary>
    public WindowGeometry Window => _window;

    // input (B, C, H, W) -> output (B, C, OH, OW)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        int outHeight = OutputShape.Height, outWidth = OutputShape.Width, height = _input.Height, width = _input.Width;
        int stride = _window.Stride, padding = _window.Padding, kernel = _window.Kernel;
        float scale = 1f / (kernel * kernel);
        for (int plane = 0; plane < batch * _input.Channels; plane++)
        {
            ReadOnlySpan<float> x = input.Slice(plane * _input.PlaneSize, _input.PlaneSize);
            Span<float> y = output.Slice(plane * OutputShape.PlaneSize, OutputShape.PlaneSize);
            for (int oy = 0; oy < outHeight; oy++)
            {
                int y0 = Math.Max(0, (oy * stride) - padding), y1 = Math.Min(height, (oy * stride) - padding + kernel);
                for (int ox = 0; ox < outWidth; ox++)
                {
                    int x0 = Math.Max(0, (ox * stride) - padding), x1 = Math.Min(width, (ox * stride) - padding + kernel);
                    float sum = 0;
                    for (int iy = y0; iy < y1; iy++)
                    {
                        for (int ix = x0; ix < x1; ix++)
                        {
                            sum += x[(iy * width) + ix];
                        }
                    }
                    // forward: y = Σ window x / (K·K)
                    y[(oy * outWidth) + ox] = sum * scale;
                }
            }
        }
    }

    // outputGradient (B, C, OH, OW) -> inputGradient (B, C, H, W)
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        if (inputGradient.IsEmpty)
        {
            return;
        }
        int outHeight = OutputShape.Height, outWidth = OutputShape.Width, height = _input.Height, width = _input.Width;
        int stride = _window.Stride, padding = _window.Padding, kernel = _window.Kernel;
        float scale = 1f / (kernel * kernel);
        inputGradient[..(batch * InputSize)].Clear();
        for (int plane = 0; plane < batch * _input.Channels; plane++)
        {
            ReadOnlySpan<float> dy = outputGradient.Slice(plane * OutputShape.PlaneSize, OutputShape.PlaneSize);
            Span<float> dx = inputGradient.Slice(plane * _input.PlaneSize, _input.PlaneSize);
            for (int oy = 0; oy < outHeight; oy++)
            {
                int y0 = Math.Max(0, (oy * stride) - padding), y1 = Math.Min(height, (oy * stride) - padding + kernel);
                for (int ox = 0; ox < outWidth; ox++)
                {
                    int x0 = Math.Max(0, (ox * stride) - padding), x1 = Math.Min(width, (ox * stride) - padding + kernel);
                    // forward: y = Σ window x / (K·K)  =>  dx += dy / (K·K) over the window
                    float share = dy[(oy * outWidth) + ox] * scale;
                    for (int iy = y0; iy < y1; iy++)
                    {
                        for (int ix = x0; ix < x1; ix++)
                        {
                            dx[(iy * width) + ix] += share;
                        }
                    }
                }
            }
        }
    }
}
