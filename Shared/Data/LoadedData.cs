namespace DistributedTrainer.Data;

/// <summary>The splits of a job's data set, normalized with statistics of <paramref name="Train"/> only.</summary>
/// <param name="Train">The training split (the training file minus the validation samples).</param>
/// <param name="Validation">Held-out samples of the training file; null when the validation fraction is 0.</param>
/// <param name="Test">The test file.</param>
/// <param name="ClassCount">Number of classes (dataset.num_classes, or the largest training label + 1).</param>
/// <param name="FeatureCount">Features per sample.</param>
public sealed record LoadedData(Dataset Train, Dataset? Validation, Dataset Test, int ClassCount, int FeatureCount)
{
    /// <summary>A TEXT data set's characters (class i is character i); null for other formats.</summary>
    public TextVocabulary? Vocabulary { get; init; }

    /// <summary>Class indices per sample: 1, or the window length of a TEXT data set.</summary>
    public int TargetsPerSample => Train.TargetsPerSample;

    /// <summary>
    /// The test targets that are scored: every one, less the <see cref="Dataset.Unscored"/> context steps of a TEXT
    /// test set cut with dataset.test_context.
    /// </summary>
    public long ScoredTestTargets
    {
        get => _scoredTestTargets ?? ((long)Test.Count * Test.TargetsPerSample);
        init => _scoredTestTargets = value;
    }

    private readonly long? _scoredTestTargets;
}
