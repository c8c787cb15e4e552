namespace DistributedTrainer.Data;

/// <summary>What a data set's targets are.</summary>
public enum TargetKind
{
    /// <summary>One class index per sample (or per time step of a TEXT window); encoded one-hot for the loss.</summary>
    ClassIds,

    /// <summary>A 0/1 vector per sample (several labels at once), for MULTI_LABEL_BINARY_CROSS_ENTROPY or MSE.</summary>
    MultiHot,

    /// <summary>Real values per sample (regression), for MSE.</summary>
    Real,
}
