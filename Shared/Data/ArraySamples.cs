using System.Numerics.Tensors;

namespace DistributedTrainer.Data;

/// <summary>Samples held in arrays: byte (IDX) or float (CSV, TEXT) features, class ids per sample.</summary>
internal sealed class ArraySamples : SampleStore
{
    private readonly byte[]? _bytes;
    private readonly float[]? _floats;
    private readonly int[] _labels;

    /// <param name="bytes">Byte features (samples, featureCount), or null.</param>
    /// <param name="floats">Float features (samples, featureCount) when <paramref name="bytes"/> is null.</param>
    /// <param name="labels">Class ids (samples, targetsPerSample), already checked against the class count.</param>
    public ArraySamples(byte[]? bytes, float[]? floats, int[] labels, int featureCount, int targetsPerSample)
    {
        _bytes = bytes;
        _floats = floats;
        _labels = labels;
        FeatureCount = featureCount;
        TargetWidth = targetsPerSample;
    }

    public override int Count => _labels.Length / TargetWidth;

    public override int FeatureCount { get; }

    public override bool StoresBytes => _bytes is not null;

    public override int TargetWidth { get; }

    public override TargetKind TargetKind => TargetKind.ClassIds;

    public override void ReadFeatures(Span<float> features, int row)
    {
        int start = row * FeatureCount;
        if (_bytes is not null)
        {
            TensorPrimitives.ConvertTruncating<byte, float>(_bytes.AsSpan(start, FeatureCount), features);
        }
        else
        {
            _floats.AsSpan(start, FeatureCount).CopyTo(features);
        }
    }

    public override void ReadBytes(Span<byte> bytes, int row) => _bytes.AsSpan(row * FeatureCount, FeatureCount).CopyTo(bytes);

    public override void ReadLabels(Span<int> labels, int row, int classCount) =>
        _labels.AsSpan(row * TargetWidth, TargetWidth).CopyTo(labels);

    public override void ReadTargets(Span<float> targets, int row) =>
        throw new InvalidOperationException("Samples held in arrays have class ids, not target vectors");
}
