using System.Numerics.Tensors;

namespace DistributedTrainer.Data;

/// <summary>
/// A decoded data set kept in its stored element type (bytes for IDX, floats for CSV and TEXT) with
/// <see cref="TargetsPerSample"/> class indices per sample (one, or one per time step of a TEXT window). Batches
/// are converted to float and normalized only when gathered, so Fashion-MNIST costs 55 MB.
/// A subset (the validation split) and a re-normalized copy share the stored features instead of copying them.
/// Immutable and safe to gather from on several threads at once.
/// </summary>
public sealed class Dataset
{
    private readonly byte[]? _bytes;
    private readonly float[]? _floats;
    private readonly int[] _labels;
    private readonly int[]? _rows;

    private Dataset(byte[]? bytes, float[]? floats, int[] labels, int[]? rows, int featureCount, int classCount,
        Normalization normalization, int targetsPerSample = 1)
    {
        TargetsPerSample = targetsPerSample;
        _bytes = bytes;
        _floats = floats;
        _labels = labels;
        _rows = rows;
        FeatureCount = featureCount;
        ClassCount = classCount;
        Normalization = normalization;
    }

    /// <summary>Number of samples.</summary>
    public int Count => _rows?.Length ?? _labels.Length / TargetsPerSample;

    /// <summary>
    /// Class indices per sample: 1, or the window length of a TEXT data set (the next character of every step).
    /// </summary>
    public int TargetsPerSample { get; }

    /// <summary>Features per sample (784 for 28x28 images).</summary>
    public int FeatureCount { get; }

    /// <summary>Number of classes; every label is in [0, ClassCount).</summary>
    public int ClassCount { get; }

    /// <summary>Rescaling applied by <see cref="Gather"/>; <see cref="Normalization.None"/> unless set.</summary>
    public Normalization Normalization { get; }

    /// <summary>True when features are stored as bytes (IDX), false for floats (CSV).</summary>
    internal bool StoresBytes => _bytes is not null;

    /// <summary>A data set over byte features, row-major (samples, <paramref name="featureCount"/>). Takes ownership of the arrays.</summary>
    public static Dataset FromBytes(byte[] features, int[] labels, int featureCount, int classCount)
    {
        Validate(features.Length, labels, featureCount, classCount);
        return new Dataset(features, null, labels, null, featureCount, classCount, Normalization.None);
    }

    /// <summary>A data set over float features, row-major (samples, <paramref name="featureCount"/>). Takes ownership of the arrays.</summary>
    public static Dataset FromFloats(float[] features, int[] labels, int featureCount, int classCount)
    {
        Validate(features.Length, labels, featureCount, classCount);
        return new Dataset(null, features, labels, null, featureCount, classCount, Normalization.None);
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
        return new Dataset(null, features, labels, null, featureCount, classCount, Normalization.None, targetsPerSample);
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
        return new Dataset(_bytes, _floats, _labels, rows, FeatureCount, ClassCount, Normalization, TargetsPerSample);
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
        return new Dataset(_bytes, _floats, _labels, _rows, FeatureCount, ClassCount, normalization, TargetsPerSample);
    }

    /// <summary>The (first) class index of sample <paramref name="index"/>.</summary>
    public int LabelAt(int index) => _labels[StoredRow(index) * TargetsPerSample];

    /// <summary>
    /// Copies the samples at <paramref name="sampleIndices"/> as normalized floats with their labels; allocates nothing.
    /// </summary>
    /// <param name="features">Output (B, F), B = sampleIndices.Length, F = <see cref="FeatureCount"/>.</param>
    /// <param name="labels">Output (B, <see cref="TargetsPerSample"/>).</param>
    /// <param name="sampleIndices">Input (B): positions in this data set.</param>
    public void Gather(Span<float> features, Span<int> labels, ReadOnlySpan<int> sampleIndices)
    {
        int targets = TargetsPerSample;
        if (features.Length != sampleIndices.Length * FeatureCount || labels.Length != sampleIndices.Length * targets)
        {
            throw new ArgumentException(
                $"Gather of {sampleIndices.Length} samples needs {sampleIndices.Length * FeatureCount} features and {sampleIndices.Length * targets} labels; got {features.Length} and {labels.Length}");
        }
        for (int b = 0; b < sampleIndices.Length; b++)
        {
            var row = features.Slice(b * FeatureCount, FeatureCount);
            int stored = StoredRow(sampleIndices[b]);
            ReadStored(row, stored);
            Normalization.Apply(row);
            _labels.AsSpan(stored * targets, targets).CopyTo(labels.Slice(b * targets, targets));
        }
    }

    /// <summary>Sample <paramref name="index"/> converted to float without normalization: row (F).</summary>
    internal void ReadRaw(Span<float> row, int index) => ReadStored(row, StoredRow(index));

    /// <summary>The stored bytes of sample <paramref name="index"/>; only for byte data sets.</summary>
    internal ReadOnlySpan<byte> StoredBytes(int index) => _bytes.AsSpan(StoredRow(index) * FeatureCount, FeatureCount);

    private void ReadStored(Span<float> row, int stored)
    {
        int start = stored * FeatureCount;
        if (_bytes is not null)
        {
            TensorPrimitives.ConvertTruncating<byte, float>(_bytes.AsSpan(start, FeatureCount), row);
        }
        else
        {
            _floats.AsSpan(start, FeatureCount).CopyTo(row);
        }
    }

    private int StoredRow(int index)
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
            if ((uint)labels[i] >= (uint)classCount)
            {
                throw new ArgumentException($"Label {labels[i]} of sample {i / targetsPerSample} is outside [0, {classCount})", nameof(labels));
            }
        }
    }
}
