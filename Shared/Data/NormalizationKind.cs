namespace DistributedTrainer.Data;

/// <summary>How features are rescaled when a batch is gathered.</summary>
public enum NormalizationKind
{
    /// <summary>Features as stored.</summary>
    None,

    /// <summary>
    /// Divide by the element type's maximum: 255 for bytes (IDX), giving [0, 1]; for floats (CSV), which have
    /// no useful type maximum, the largest absolute value in the training split, giving [-1, 1].
    /// </summary>
    Scale,

    /// <summary>Subtract the per-feature mean and divide by the per-feature standard deviation of the training split.</summary>
    Standardize,
}
