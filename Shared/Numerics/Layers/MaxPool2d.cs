namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// Max pooling per channel over square windows (PyTorch's MaxPool2d with dilation 1): each output is the largest
/// input of its window, padding never wins, the first of equal maxima is taken and NaN propagates. The position
/// of each maximum is kept for the backward pass, which routes the gradient to it alone.
/// </summary>
public sealed class MaxPool2d : Layer, IImageLayer
{
    private readonly ImageShape _input;
    private readonly WindowGeometry _window;
    // (B, C·OH·OW): index within its sample's input row of each output's maximum, from the last forward pass.
    private int[] _argmax = [];

    /// <param name="name">Layer name.</param>
    /// <param name="input">The image of each input row.</param>
    /// <param name="window">Window side, stride and padding (at most half the kernel); dilation must be 1.</param>
    public MaxPool2d(string name, ImageShape input, WindowGeometry window)
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

    public override void Reserve(int maxBatch) => _argmax = new int[checked(maxBatch * OutputSize)];

    // input (B, C, H, W) -> output (B, C, OH, OW)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        if (batch * OutputSize > _argmax.Length)
        {
            throw new InvalidOperationException(
                $"Max pool '{Name}' holds {_argmax.Length / OutputSize} rows but a batch of {batch} arrived; call Reserve(maxBatch) first.");
        }
        int outHeight = OutputShape.Height, outWidth = OutputShape.Width, height = _input.Height, width = _input.Width;
        int stride = _window.Stride, padding = _window.Padding, kernel = _window.Kernel;
        for (int plane = 0; plane < batch * _input.Channels; plane++)
        {
            int inputBase = plane * _input.PlaneSize, outputBase = plane * OutputShape.PlaneSize;
            // A plane's index within its own sample: the channel's offset.
            int sampleBase = (plane % _input.Channels) * _input.PlaneSize;
            for (int oy = 0; oy < outHeight; oy++)
            {
                int y0 = Math.Max(0, (oy * stride) - padding), y1 = Math.Min(height, (oy * stride) - padding + kernel);
                for (int ox = 0; ox < outWidth; ox++)
                {
                    int x0 = Math.Max(0, (ox * stride) - padding), x1 = Math.Min(width, (ox * stride) - padding + kernel);
                    int best = (y0 * width) + x0;
                    float max = input[inputBase + best];
                    for (int y = y0; y < y1; y++)
                    {
                        for (int x = x0; x < x1; x++)
                        {
                            float value = input[inputBase + (y * width) + x];
                            // forward: y = max over the window (first maximum wins, NaN propagates)
                            if (value > max || (float.IsNaN(value) && !float.IsNaN(max)))
                            {
                                max = value;
                                best = (y * width) + x;
                            }
                        }
                    }
                    int outputIndex = outputBase + (oy * outWidth) + ox;
                    output[outputIndex] = max;
                    _argmax[outputIndex] = sampleBase + best;
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
        inputGradient[..(batch * InputSize)].Clear();
        for (int b = 0; b < batch; b++)
        {
            Span<float> sampleGradient = inputGradient.Slice(b * InputSize, InputSize);
            ReadOnlySpan<float> dy = outputGradient.Slice(b * OutputSize, OutputSize);
            ReadOnlySpan<int> argmax = _argmax.AsSpan(b * OutputSize, OutputSize);
            // forward: y = x[argmax]  =>  dx[argmax] += dy
            for (int i = 0; i < dy.Length; i++)
            {
                sampleGradient[argmax[i]] += dy[i];
            }
        }
    }
}
