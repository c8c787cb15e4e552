namespace DistributedTrainer.Data;

/// <summary>A TEXT data set's splits and vocabulary.</summary>
/// <param name="Train">Training windows (features: ids; labels: the next character of every step).</param>
/// <param name="Test">Windows of the held-out tail, overlapping by their unscored context steps, if any.</param>
/// <param name="Vocabulary">The file's characters.</param>
public sealed record TextSplits(Dataset Train, Dataset Test, TextVocabulary Vocabulary)
{
    /// <summary>The test targets that are scored (not <see cref="Dataset.Unscored"/>).</summary>
    public long ScoredTestTargets { get; init; }
}
