namespace DistributedTrainer.Numerics.Layers;

/// <summary>A layer whose per-sample output is an image (reshape, convolution, pooling), so the next one can convolve it.</summary>
public interface IImageLayer
{
    /// <summary>The image each output row holds; its <see cref="ImageShape.Size"/> is the layer's output size.</summary>
    ImageShape OutputShape { get; }
}
