namespace DistributedTrainer.Numerics.Layers;

/// <summary>How a <see cref="Conv2d"/> layer computes its passes; fixed by its shape (see <see cref="Conv2d.Path"/>).</summary>
public enum ConvolutionPath
{
    /// <summary>The batch unfolded into a C·K·K x B·OH·OW matrix, then one GEMM forward and two backward.</summary>
    Im2Col,

    /// <summary>Windows read straight from each sample's zero-padded planes, rows accumulated in registers.</summary>
    Direct,
}
