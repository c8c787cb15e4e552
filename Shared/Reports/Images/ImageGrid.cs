using DistributedTrainer.Training.Adversarial;

namespace DistributedTrainer.Reports.Images;

/// <summary>
/// Lays generated samples out as one picture: a near-square grid of tiles separated by a 2-pixel border, each value
/// mapped linearly from [Low, High] to 0..255 (clamped). Three-channel samples are RGB; others show their first
/// channel in grey.
/// </summary>
public static class ImageGrid
{
    private const int Border = 2;

    /// <summary>The grid's pixels and size.</summary>
    /// <param name="Pixels">(Height, Width, Channels) bytes, row-major.</param>
    /// <param name="Width">Pixels per row.</param>
    /// <param name="Height">Rows.</param>
    /// <param name="Channels">1 (grey) or 3 (RGB).</param>
    public sealed record Picture(byte[] Pixels, int Width, int Height, int Channels)
    {
        /// <summary>The picture as a PNG file.</summary>
        public byte[] ToPng() => PngEncoder.Encode(Pixels, Width, Height, Channels);
    }

    /// <summary>Renders <paramref name="grid"/>, <paramref name="columns"/> tiles per row (0: ceil(sqrt(count))).</summary>
    public static Picture Render(SampleGrid grid, int columns = 0)
    {
        ArgumentNullException.ThrowIfNull(grid);
        var shape = grid.Shape;
        int channels = shape.Channels == 3 ? 3 : 1;
        int cols = columns > 0 ? columns : (int)Math.Ceiling(Math.Sqrt(grid.Count));
        int rows = (grid.Count + cols - 1) / cols;
        int width = cols * (shape.Width + Border) + Border;
        int height = rows * (shape.Height + Border) + Border;
        var pixels = new byte[checked(width * height * channels)];
        float scale = 255f / (grid.High - grid.Low);
        for (int sample = 0; sample < grid.Count; sample++)
        {
            int left = Border + sample % cols * (shape.Width + Border);
            int top = Border + sample / cols * (shape.Height + Border);
            var values = grid.Values.AsSpan(sample * shape.Size, shape.Size);
            for (int y = 0; y < shape.Height; y++)
            {
                for (int x = 0; x < shape.Width; x++)
                {
                    int at = ((top + y) * width + left + x) * channels;
                    for (int c = 0; c < channels; c++)
                    {
                        float value = (values[c * shape.PlaneSize + y * shape.Width + x] - grid.Low) * scale;
                        pixels[at + c] = (byte)Math.Clamp(MathF.Round(value), 0f, 255f);
                    }
                }
            }
        }
        return new Picture(pixels, width, height, channels);
    }
}
