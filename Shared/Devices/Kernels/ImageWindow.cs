using DistributedTrainer.Numerics.Layers;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// The sizes a convolution or pooling kernel needs, passed by value in one launch argument: the input image (C, H, W)
/// of each row, the output image (O, OH, OW) and the square window (kernel, stride, zero padding, dilation) with
/// <see cref="WindowGeometry"/>'s meaning. Pools have O = C and dilation 1.
/// </summary>
internal readonly struct ImageWindow
{
    public readonly int Channels;
    public readonly int Height;
    public readonly int Width;
    public readonly int OutChannels;
    public readonly int OutHeight;
    public readonly int OutWidth;
    public readonly int Kernel;
    public readonly int Stride;
    public readonly int Padding;
    public readonly int Dilation;

    public ImageWindow(ImageShape input, ImageShape output, WindowGeometry window)
    {
        Channels = input.Channels;
        Height = input.Height;
        Width = input.Width;
        OutChannels = output.Channels;
        OutHeight = output.Height;
        OutWidth = output.Width;
        Kernel = window.Kernel;
        Stride = window.Stride;
        Padding = window.Padding;
        Dilation = window.Dilation;
    }

    /// <summary>
    /// Input and output swapped: a transposed convolution from (C, H, W) to (O, OH, OW) as the conv2d from (O, OH, OW) to
    /// (C, H, W) with the same window, whose input gradient the transposed convolution is.
    /// </summary>
    public ImageWindow Transposed => new(new ImageShape(OutChannels, OutHeight, OutWidth), new ImageShape(Channels, Height, Width),
        new WindowGeometry(Kernel, Stride, Padding, Dilation));

    /// <summary>Floats per input row: C·H·W.</summary>
    public int InputSize => Channels * Height * Width;

    /// <summary>Floats per output row: O·OH·OW.</summary>
    public int OutputSize => OutChannels * OutHeight * OutWidth;

    /// <summary>Weights: O·C·K·K.</summary>
    public int Weights => OutChannels * Channels * Kernel * Kernel;
}
