using System.Buffers;

namespace DistributedTrainer.Data;

/// <summary>
/// A data set kept in its stored element type (bytes for IDX and uint8 shards, floats for CSV and TEXT) in arrays or
/// memory-mapped shards, with targets that are <see cref="TargetsPerSample"/> class indices per sample (one, or one
/// per time step of a TEXT window) or, for shards, vectors of <see cref="TargetWidth"/> values (multi-hot or real).
/// Batches are converted to float and normalized only when gathered, so Fashion-MNIST costs 55 MB and a sharded
/// data set only the pages of the samples read.
/// A subset (the validation split) and a re-normalized copy share the stored features instead of copying them.
/// Immutable and safe to gather from on several threads at once.
/// </summary>
public sealed class Dataset
{
    /// <summary>
    /// The class id of a target that the model reads but is not scored on: its loss row is zero and it counts
    /// neither as correct nor as a target (a TEXT test window's context steps, see dataset.test_context).
    /// </summary>
    public const int Unscored = -1;

    private readonly SampleStore _store;
    private readonly int[]? _rows;

    private Dataset(SampleStore store, int[]? rows, int classCount, Normalization normalization)
    {
        _store = store;
        _rows = rows;
        ClassCount = classCount;
        Normalization = normalization;
    }

    /// <summary>Number of samples.</summary>
    public int Count => _rows?.Length ?? _store.Count;

    /// <summary>
    /// Class indices per sample: 1, or the window length of a TEXT data set (the next character of every step);
    /// 1 for multi-hot and real targets.
    /// </summary>
    public int TargetsPerSample => _store.TargetKind == TargetKind.ClassIds ? _store.TargetWidth : 1;

    /// <summary>What the targets are: class ids, or vectors gathered with <see cref="GatherTargets"/>.</summary>
    public TargetKind TargetKind => _store.TargetKind;

    /// <summary>Target values per sample for multi-hot and real targets (the model's outputs); 0 for class ids.</summary>
    public int TargetWidth => _store.TargetKind == TargetKind.ClassIds ? 0 : _store.TargetWidth;

    /// <summary>Features per sample (784 for 28x28 images).</summary>
    public int FeatureCount => _store.FeatureCount;

    /// <summary>Number of classes; every label is in [0, ClassCount). The target width for multi-hot and real targets.</summary>
    public int ClassCount { get; }

    /// <summary>Rescaling applied by <see cref="Gather"/>; <see cref="Normalization.None"/> unless set.</summary>
    public Normalization Normalization { get; }

    /// <summary>True when features are stored as bytes (IDX, uint8 shards), false for floats (CSV).</summary>
    internal bool StoresBytes => _store.StoresBytes;

    /// <summary>A data set over byte features, row-major (samples, <paramref name="featureCount"/>). Takes ownership of the arrays.</summary>
    public static Dataset FromBytes(byte[] features, int[] labels, int featureCount, int classCount)
    {
        Validate(features.Length, labels, featureCount, classCount);
        return new Dataset(new ArraySamples(features, null, labels, featureCount, 1), null, classCount, Normalization.None);
    }

    /// <summary>A data set over float features, row-major (samples, <paramref name="featureCount"/>). Takes ownership of the arrays.</summary>
    public static Dataset FromFloats(float[] features, int[] labels, int featureCount, int classCount)
    {
        Validate(features.Length, labels, featureCount, classCount);
        return new Dataset(new ArraySamples(null, features, labels, featureCount, 1), null, classCount, Normalization.None);
    }

    /// <summary>
    /// A data set over float features (samples, <paramref name="featureCount"/>) with
    /// <paramref name="targetsPerSample"/> labels per sample, row-major (samples, targetsPerSample). Takes ownership.
    /// </summary>
    public static Dataset FromFloats(float[] features, int[] labels, int featureCount, int classCount, int targetsPerSample)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetsPerSample, 1);
        if (labels.Length % targetsPerSample != 0)
        {
            throw new ArgumentException($"{labels.Length} labels do not make samples of {targetsPerSample} targets", nameof(labels));
        }
        Validate(features.Length, labels, featureCount, classCount, targetsPerSample);
        return new Dataset(new ArraySamples(null, features, labels, featureCount, targetsPerSample), null, classCount, Normalization.None);
    }

    /// <summary>A data set over <paramref name="store"/>; class ids are checked against <paramref name="classCount"/> as they are read.</summary>
    internal static Dataset FromStore(SampleStore store, int classCount)
    {
        if (classCount <= 0)
        {
            throw new ArgumentException($"Invalid class count: {classCount} (must be > 0)", nameof(classCount));
        }
        return new Dataset(store, null, classCount, Normalization.None);
    }

    /// <summary>
    /// The samples at <paramref name="indices"/> (positions in this data set), in that order, sharing the
    /// stored features; only the index list is copied.
    /// </summary>
    public Dataset Subset(ReadOnlySpan<int> indices)
    {
        var rows = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            rows[i] = StoredRow(indices[i]);
        }
        return new Dataset(_store, rows, ClassCount, Normalization);
    }

    /// <summary>The same samples, gathered with <paramref name="normalization"/>; the features are shared.</summary>
    public Dataset WithNormalization(Normalization normalization)
    {
        ArgumentNullException.ThrowIfNull(normalization);
        if (normalization.Kind != NormalizationKind.None && normalization.Offset.Length != FeatureCount)
        {
            throw new ArgumentException(
                $"Normalization has {normalization.Offset.Length} features; the data set has {FeatureCount}", nameof(normalization));
        }
        return new Dataset(_store, _rows, ClassCount, normalization);
    }

    /// <summary>The (first) class index of sample <paramref name="index"/>; class-id data sets only.</summary>
    public int LabelAt(int index)
    {
        RequireKind(TargetKind.ClassIds, nameof(LabelAt));
        Span<int> labels = _store.TargetWidth <= 256 ? stackalloc int[_store.TargetWidth] : new int[_store.TargetWidth];
        _store.ReadLabels(labels, StoredRow(index), ClassCount);
        return labels[0];
    }

    /// <summary>
    /// Copies the samples at <paramref name="sampleIndices"/> as normalized floats with their class ids; allocates
    /// nothing. Class-id data sets only (see <see cref="GatherTargets"/>).
    /// </summary>
    /// <param name="features">Output (B, F), B = sampleIndices.Length, F = <see cref="FeatureCount"/>.</param>
    /// <param name="labels">Output (B, <see cref="TargetsPerSample"/>).</param>
    /// <param name="sampleIndices">Input (B): positions in this data set.</param>
    public void Gather(Span<float> features, Span<int> labels, ReadOnlySpan<int> sampleIndices)
    {
        RequireKind(TargetKind.ClassIds, nameof(Gather));
        int targets = TargetsPerSample;
        if (features.Length != sampleIndices.Length * FeatureCount || labels.Length != sampleIndices.Length * targets)
        {
            throw new ArgumentException(
                $"Gather of {sampleIndices.Length} samples needs {sampleIndices.Length * FeatureCount} features and {sampleIndices.Length * targets} labels; got {features.Length} and {labels.Length}");
        }
        var stored = ArrayPool<int>.Shared.Rent(sampleIndices.Length);
        try
        {
            GatherFeatures(features, stored.AsSpan(0, sampleIndices.Length), sampleIndices);
            for (int b = 0; b < sampleIndices.Length; b++)
            {
                _store.ReadLabels(labels.Slice(b * targets, targets), stored[b], ClassCount);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(stored);
        }
    }

    /// <summary>
    /// Copies the samples at <paramref name="sampleIndices"/> as normalized floats with their target vectors;
    /// multi-hot and real targets only.
    /// </summary>
    /// <param name="features">Output (B, F), B = sampleIndices.Length, F = <see cref="FeatureCount"/>.</param>
    /// <param name="targets">Output (B, <see cref="TargetWidth"/>).</param>
    /// <param name="sampleIndices">Input (B): positions in this data set.</param>
    public void GatherTargets(Span<float> features, Span<float> targets, ReadOnlySpan<int> sampleIndices)
    {
        if (TargetKind == TargetKind.ClassIds)
        {
            throw new InvalidOperationException("GatherTargets needs multi-hot or real targets; this data set has class ids (use Gather)");
        }
        int width = TargetWidth;
        if (features.Length != sampleIndices.Length * FeatureCount || targets.Length != sampleIndices.Length * width)
        {
            throw new ArgumentException(
                $"Gather of {sampleIndices.Length} samples needs {sampleIndices.Length * FeatureCount} features and {sampleIndices.Length * width} targets; got {features.Length} and {targets.Length}");
        }
        var stored = ArrayPool<int>.Shared.Rent(sampleIndices.Length);
        try
        {
            GatherFeatures(features, stored.AsSpan(0, sampleIndices.Length), sampleIndices);
            for (int b = 0; b < sampleIndices.Length; b++)
            {
                _store.ReadTargets(targets.Slice(b * width, width), stored[b]);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(stored);
        }
    }

    /// <summary>Where the samples are kept.</summary>
    internal SampleStore Store => _store;

    /// <summary>The same samples gathered through <paramref name="store"/>, which holds the same stored rows (a read-ahead view).</summary>
    internal Dataset WithStore(SampleStore store) => new(store, _rows, ClassCount, Normalization);

    /// <summary>Sample <paramref name="index"/> converted to float without normalization: row (F).</summary>
    internal void ReadRaw(Span<float> row, int index) => _store.ReadFeatures(row, StoredRow(index));

    /// <summary>bytes (F) &lt;- the stored bytes of sample <paramref name="index"/>; only for byte data sets.</summary>
    internal void ReadStoredBytes(Span<byte> bytes, int index) => _store.ReadBytes(bytes, StoredRow(index));

    // features (B, F) <- the normalized features of sampleIndices (B); stored (B) <- their stored rows. The store
    // reads the whole batch at once so that it can order and merge its reads.
    private void GatherFeatures(Span<float> features, Span<int> stored, ReadOnlySpan<int> sampleIndices)
    {
        for (int b = 0; b < sampleIndices.Length; b++)
        {
            stored[b] = StoredRow(sampleIndices[b]);
        }
        _store.ReadFeatureRows(features, stored);
        for (int b = 0; b < sampleIndices.Length; b++)
        {
            Normalization.Apply(features.Slice(b * FeatureCount, FeatureCount));
        }
    }

    private void RequireKind(TargetKind kind, string operation)
    {
        if (TargetKind != kind)
        {
            throw new InvalidOperationException($"{operation} needs {kind} targets; this data set has {TargetKind} (use GatherTargets)");
        }
    }

    /// <summary>The store's row of sample <paramref name="index"/> (a position in this data set).</summary>
    internal int StoredRow(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Sample index {index} is outside the data set of {Count} samples");
        }
        return _rows is null ? index : _rows[index];
    }

    private static void Validate(int featureLength, int[] labels, int featureCount, int classCount, int targetsPerSample = 1)
    {
        if (featureCount <= 0)
        {
            throw new ArgumentException($"Invalid feature count: {featureCount} (must be > 0)", nameof(featureCount));
        }
        if (classCount <= 0)
        {
            throw new ArgumentException($"Invalid class count: {classCount} (must be > 0)", nameof(classCount));
        }
        if ((long)labels.Length / targetsPerSample * featureCount != featureLength)
        {
            throw new ArgumentException(
                $"{featureLength} feature values do not make {labels.Length / targetsPerSample} samples of {featureCount} features", nameof(featureCount));
        }
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount && labels[i] != Unscored)
            {
                throw new ArgumentException($"Label {labels[i]} of sample {i / targetsPerSample} is outside [0, {classCount})", nameof(labels));
            }
        }
    }
}
