namespace DistributedTrainer.Jobs;

/// <summary>
/// Bounds a job spec must stay within, so one submission cannot exhaust a cluster. The defaults suit a shared
/// cluster; a deployment may set its own with a <c>with</c> expression.
/// </summary>
public sealed record JobLimits
{
    /// <summary>The default limits.</summary>
    public static JobLimits Default { get; } = new();

    /// <summary>Largest global mini-batch, in samples. Default 65536.</summary>
    public int MaxBatchSize { get; init; } = 65536;

    /// <summary>Most epochs a job may ask for. Default 10000.</summary>
    public int MaxEpochs { get; init; } = 10000;

    /// <summary>Most units in one dense layer. Default 65536.</summary>
    public int MaxUnitsPerLayer { get; init; } = 65536;

    /// <summary>Most features per sample an image layer (reshape, conv2d, pool) may state or produce: C·H·W. Default 16,777,216.</summary>
    public int MaxImageFeatures { get; init; } = 1 << 24;

    /// <summary>Most trainable parameters in the model (checked when the data shape is known). Default 100,000,000.</summary>
    public long MaxTotalParameters { get; init; } = 100_000_000;

    /// <summary>Most layers in the model, nested ones included. Default 1024.</summary>
    public int MaxLayers { get; init; } = 1024;

    /// <summary>
    /// Most residual/highway blocks enclosing one another (a top-level layer is at depth 0, the body of a top-level
    /// residual at depth 1). Default 8.
    /// </summary>
    public int MaxNestingDepth { get; init; } = 8;

    /// <summary>Most workers one job may use. Default 1024.</summary>
    public int MaxWorkers { get; init; } = 1024;

    /// <summary>
    /// Whether dataset files (and the transfer checkpoint directory) must exist on this machine. Default true;
    /// a coordinator whose workers hold the data turns it off.
    /// </summary>
    public bool CheckFilesExist { get; init; } = true;
}
