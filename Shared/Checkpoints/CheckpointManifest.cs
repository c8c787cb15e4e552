namespace DistributedTrainer.Checkpoints;

/// <summary>
/// Everything besides tensors that a job needs to resume at the exact sample, written as manifest.json (snake_case
/// keys, indented, infinities and NaN as "Infinity"/"NaN" strings). The random numbers are counter-based,
/// keyed by (seed, step, sample, layer), so <see cref="Seed"/> with <see cref="Step"/> and <see cref="Epoch"/>
/// is the whole RNG state.
/// </summary>
public sealed record CheckpointManifest
{
    /// <summary>The layout version this build writes and reads.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>Layout version of the manifest and files; default <see cref="CurrentFormatVersion"/>.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>The job's JobSpec in its proto3 JSON form.</summary>
    public required string JobSpecJson { get; init; }

    /// <summary>Optimizer steps completed since the start of the job.</summary>
    public required long Step { get; init; }

    /// <summary>The epoch in progress (0-based).</summary>
    public required int Epoch { get; init; }

    /// <summary>Samples of <see cref="Epoch"/>'s permutation already consumed; training resumes at this position.</summary>
    public required long DataCursor { get; init; }

    /// <summary>The job seed (parameter initialization, epoch permutations, dropout masks).</summary>
    public required ulong Seed { get; init; }

    /// <summary>Optimizer kind as in the spec ("ADAM"), checked before its state is loaded.</summary>
    public required string OptimizerKind { get; init; }

    /// <summary>The optimizer's <c>StepCount</c> (Adam's bias correction depends on it).</summary>
    public required long OptimizerStepCount { get; init; }

    /// <summary>What the learning-rate schedule's <c>SaveState</c> returned; empty for pure schedules.</summary>
    public double[] ScheduleState { get; init; } = [];

    /// <summary>Early stopping's progress; null when early stopping is off.</summary>
    public EarlyStoppingState? EarlyStopping { get; init; }

    /// <summary>
    /// A TEXT data set's vocabulary, characters in id order (Data.TextVocabulary.Characters), so the checkpoint
    /// can be sampled without the text file; null for other data.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Vocabulary { get; init; }

    /// <summary>
    /// A GAN job's generator optimizer and schedule (the optimizer fields above hold the discriminator's); null for
    /// other jobs.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public GeneratorCheckpointState? Generator { get; init; }

    /// <summary>Latest metrics by name ("train_loss", "validation_accuracy").</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>When the checkpoint was written (UTC); set by <see cref="CheckpointStore.Save"/>.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Size and SHA-256 of each tensor file by file name; set by <see cref="CheckpointStore.Save"/>.</summary>
    public IReadOnlyDictionary<string, CheckpointFileEntry> Files { get; init; } = new Dictionary<string, CheckpointFileEntry>();
}
