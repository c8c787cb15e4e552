namespace DistributedTrainer.Training;

/// <summary>A held-out split of a job's data.</summary>
public enum DataSplit
{
    /// <summary>The part of the training file held out by the spec's validation fraction.</summary>
    Validation,

    /// <summary>The test file.</summary>
    Test,
}
