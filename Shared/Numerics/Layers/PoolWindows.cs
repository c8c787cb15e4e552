namespace DistributedTrainer.Numerics.Layers;

/// <summary>The rules a pooling window keeps, as PyTorch's pools enforce them.</summary>
internal static class PoolWindows
{
    /// <summary>
    /// Throws unless the window fits the padded <paramref name="input"/>, has dilation 1 and pads at most half the
    /// kernel (so every window holds at least one real input and the average's divisor is always K·K).
    /// </summary>
    public static void Validate(string layer, ImageShape input, WindowGeometry window)
    {
        input.Validate(layer);
        window.Validate(layer, input);
        if (window.Dilation != 1)
        {
            throw new ArgumentException($"Invalid dilation for pooling layer '{layer}': {window.Dilation} (pools take 1).");
        }
        if (window.Padding > window.Kernel / 2)
        {
            throw new ArgumentException(
                $"Invalid padding for pooling layer '{layer}': {window.Padding} (must be at most half the kernel {window.Kernel}).");
        }
    }
}
