namespace DistributedTrainer.Data;

/// <summary>
/// Where a <see cref="Dataset"/>'s samples are kept: arrays in memory, or memory-mapped shards. Rows are stored
/// positions; implementations are immutable and safe to read from several threads at once.
/// </summary>
internal abstract class SampleStore
{
    /// <summary>Stored samples.</summary>
    public abstract int Count { get; }

    /// <summary>Features per sample.</summary>
    public abstract int FeatureCount { get; }

    /// <summary>Whether features are unsigned bytes (SCALE then divides by 255, as for IDX).</summary>
    public abstract bool StoresBytes { get; }

    /// <summary>Class ids per sample (<see cref="TargetKind.ClassIds"/>), or target values per sample otherwise.</summary>
    public abstract int TargetWidth { get; }

    /// <summary>What the targets are.</summary>
    public abstract TargetKind TargetKind { get; }

    /// <summary>row (F) &lt;- the features of stored sample <paramref name="row"/>, converted to float.</summary>
    public abstract void ReadFeatures(Span<float> features, int row);

    /// <summary>
    /// features (R, F) &lt;- the features of stored samples <paramref name="rows"/> (R), converted to float, in the order
    /// given. Sample by sample unless a store reads several rows at once more cheaply.
    /// </summary>
    public virtual void ReadFeatureRows(Span<float> features, ReadOnlySpan<int> rows)
    {
        for (int r = 0; r < rows.Length; r++)
        {
            ReadFeatures(features.Slice(r * FeatureCount, FeatureCount), rows[r]);
        }
    }

    /// <summary>bytes (F) &lt;- the stored bytes of sample <paramref name="row"/>; only when <see cref="StoresBytes"/>.</summary>
    public abstract void ReadBytes(Span<byte> bytes, int row);

    /// <summary>labels (<see cref="TargetWidth"/>) &lt;- the class ids of sample <paramref name="row"/>, each below <paramref name="classCount"/>.</summary>
    public abstract void ReadLabels(Span<int> labels, int row, int classCount);

    /// <summary>targets (<see cref="TargetWidth"/>) &lt;- the target values of sample <paramref name="row"/>; not for class ids.</summary>
    public abstract void ReadTargets(Span<float> targets, int row);
}
