namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// A square sliding window over the planes of an image (a convolution kernel or a pooling window): its side,
/// stride, zero padding on each side and dilation (spacing of its taps), with PyTorch's output-size rule.
/// </summary>
/// <param name="Kernel">Window side, at least 1.</param>
/// <param name="Stride">Step between windows, at least 1.</param>
/// <param name="Padding">Zeros added on each side, at least 0.</param>
/// <param name="Dilation">Spacing of the window's taps, at least 1 (1: adjacent).</param>
public readonly record struct WindowGeometry(int Kernel, int Stride, int Padding, int Dilation)
{
    /// <summary>Side covered by the dilated window: dilation·(kernel - 1) + 1.</summary>
    public int Extent => checked((Dilation * (Kernel - 1)) + 1);

    /// <summary>
    /// Windows along a side of <paramref name="length"/>: floor((length + 2·padding - span) / stride) + 1, or 0 or
    /// less when the window does not fit the padded side.
    /// </summary>
    public int OutputLength(int length)
    {
        int room = length + (2 * Padding) - Extent;
        return room < 0 ? 0 : (room / Stride) + 1;
    }

    /// <summary>The output image for <paramref name="input"/> with <paramref name="channels"/> channels out.</summary>
    public ImageShape OutputShape(ImageShape input, int channels) =>
        new(channels, OutputLength(input.Height), OutputLength(input.Width));

    /// <summary>Throws unless the sizes are in range and the window fits the padded <paramref name="input"/>.</summary>
    internal void Validate(string layer, ImageShape input)
    {
        if (Kernel < 1 || Stride < 1 || Padding < 0 || Dilation < 1)
        {
            throw new ArgumentException(
                $"Invalid window for layer '{layer}': kernel {Kernel}, stride {Stride}, padding {Padding}, dilation {Dilation} " +
                "(kernel, stride and dilation must be at least 1, padding at least 0).");
        }
        if (OutputLength(input.Height) < 1 || OutputLength(input.Width) < 1)
        {
            throw new ArgumentException(
                $"Invalid window for layer '{layer}': a window of side {Extent} (kernel {Kernel}, dilation {Dilation}) does not fit " +
                $"the input {input} padded by {Padding}.");
        }
    }
}
