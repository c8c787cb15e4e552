using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Jobs;

/// <summary>
/// How the image layer kinds of a job spec read: the defaults of their window fields, and which layer kinds
/// keep the image shape of their input (the element-wise ones) so a convolution may follow them. The validator
/// and the model factory both read the spec through these, so they cannot disagree.
/// </summary>
public static class ImageLayerSpecs
{
    /// <summary>The convolution's window: stride default 1, padding default 0, dilation default 1.</summary>
    public static WindowGeometry Window(Conv2dSpec conv)
    {
        ArgumentNullException.ThrowIfNull(conv);
        return new WindowGeometry(conv.Kernel, conv.HasStride ? conv.Stride : 1, conv.Padding,
            conv.HasDilation ? conv.Dilation : 1);
    }

    /// <summary>The transposed convolution's window: stride default 1, padding default 0, dilation default 1.</summary>
    public static WindowGeometry Window(ConvTranspose2dSpec conv)
    {
        ArgumentNullException.ThrowIfNull(conv);
        return new WindowGeometry(conv.Kernel, conv.HasStride ? conv.Stride : 1, conv.Padding,
            conv.HasDilation ? conv.Dilation : 1);
    }

    /// <summary>Whether the transposed convolution adds a bias (default true).</summary>
    public static bool HasBias(ConvTranspose2dSpec conv)
    {
        ArgumentNullException.ThrowIfNull(conv);
        return !conv.HasBias || conv.Bias;
    }

    /// <summary>The pool's window: stride default the kernel, padding default 0, dilation 1.</summary>
    public static WindowGeometry Window(Pool2dSpec pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return new WindowGeometry(pool.Kernel, pool.HasStride ? pool.Stride : pool.Kernel, pool.Padding, 1);
    }

    /// <summary>Whether the convolution adds a bias (default true).</summary>
    public static bool HasBias(Conv2dSpec conv)
    {
        ArgumentNullException.ThrowIfNull(conv);
        return !conv.HasBias || conv.Bias;
    }

    /// <summary>The shape a reshape states.</summary>
    public static ImageShape Shape(ReshapeSpec reshape)
    {
        ArgumentNullException.ThrowIfNull(reshape);
        return new ImageShape(reshape.Channels, reshape.Height, reshape.Width);
    }

    /// <summary>
    /// Whether a layer of this kind passes its input's image shape on: activations, dropout, normalization and
    /// residual or highway blocks work per element and keep the feature count. Every other kind (dense, flatten,
    /// any kind added later) ends the image unless it states a new one.
    /// </summary>
    public static bool KeepsImageShape(LayerSpec.KindOneofCase kind) => kind is LayerSpec.KindOneofCase.Activation
        or LayerSpec.KindOneofCase.Dropout or LayerSpec.KindOneofCase.BatchNorm or LayerSpec.KindOneofCase.LayerNorm
        or LayerSpec.KindOneofCase.Residual or LayerSpec.KindOneofCase.Highway;
}
