namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// The image a flat per-sample vector holds, channel first (NCHW without the N): element (c, h, w) of a sample
/// sits at c·H·W + h·W + w of its row.
/// </summary>
/// <param name="Channels">C, at least 1.</param>
/// <param name="Height">H, at least 1.</param>
/// <param name="Width">W, at least 1.</param>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    /// <summary>Floats per sample: C·H·W.</summary>
    public int Size => checked(Channels * Height * Width);

    /// <summary>Floats per channel: H·W.</summary>
    public int PlaneSize => checked(Height * Width);

    /// <summary>"CxHxW", as messages print it.</summary>
    public override string ToString() => $"{Channels}x{Height}x{Width}";

    /// <summary>Throws unless every side is at least 1; <paramref name="layer"/> names the owner in the message.</summary>
    internal void Validate(string layer)
    {
        if (Channels < 1 || Height < 1 || Width < 1)
        {
            throw new ArgumentException($"Invalid image shape for layer '{layer}': {this} (every side must be at least 1).");
        }
    }
}
