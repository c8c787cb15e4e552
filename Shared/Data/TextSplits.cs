namespace DistributedTrainer.Data;

/// <summary>A TEXT data set's splits and vocabulary.</summary>
/// <param name="Train">Training windows (features: ids; labels: the next character of every step).</param>
/// <param name="Test">Windows of the held-out tail, not overlapping.</param>
/// <param name="Vocabulary">The file's characters.</param>
public sealed record TextSplits(Dataset Train, Dataset Test, TextVocabulary Vocabulary);
