using System.Buffers;

namespace DistributedTrainer.Data.Shards;

/// <summary>
/// A shard directory's samples with a slot for rows read ahead (<see cref="StoredRows"/>): a row the slot holds is
/// converted from its stored bytes in memory, any other row is read from the files as <see cref="ShardedSamples"/>
/// reads it. Both convert the same bytes with the same code, so a gather's floats and labels do not depend on what
/// the slot holds. Gathers of <see cref="ReadFeatureRows"/> count rows found in the slot (hits) and rows read (misses).
/// </summary>
internal sealed class ReadAheadSamples(ShardedSamples files) : SampleStore
{
    private StoredRows? _held;
    private long _hits;
    private long _misses;

    /// <summary>The shard files.</summary>
    public ShardedSamples Files => files;

    public override int Count => files.Count;

    public override int FeatureCount => files.FeatureCount;

    public override bool StoresBytes => files.StoresBytes;

    public override int TargetWidth => files.TargetWidth;

    public override TargetKind TargetKind => files.TargetKind;

    /// <summary>Puts <paramref name="rows"/> (null: none) in the slot; returns what it held. Call it while no gather runs.</summary>
    public StoredRows? Hold(StoredRows? rows) => Interlocked.Exchange(ref _held, rows);

    /// <summary>Feature rows gathered from the slot and from the files since the last call.</summary>
    public (long Hits, long Misses) TakeCounts() => (Interlocked.Exchange(ref _hits, 0), Interlocked.Exchange(ref _misses, 0));

    public override void ReadFeatures(Span<float> features, int row)
    {
        if (Find(row, out var held, out int index))
        {
            files.ConvertStoredFeatures(features, held.Features(index));
            return;
        }
        files.ReadFeatures(features, row);
    }

    /// <summary>
    /// Converts the rows the slot holds and reads the others in one <see cref="ShardedSamples.ReadFeatureRows"/>, so they
    /// keep its sorted, merged reads; scratch comes from the shared pool.
    /// </summary>
    public override void ReadFeatureRows(Span<float> features, ReadOnlySpan<int> rows)
    {
        var held = Volatile.Read(ref _held);
        if (held is null)
        {
            Interlocked.Add(ref _misses, rows.Length);
            files.ReadFeatureRows(features, rows);
            return;
        }
        int width = FeatureCount;
        var missedRows = ArrayPool<int>.Shared.Rent(rows.Length);
        var missedPositions = ArrayPool<int>.Shared.Rent(rows.Length);
        try
        {
            int missed = 0;
            for (int r = 0; r < rows.Length; r++)
            {
                int index = held.IndexOf(rows[r]);
                if (index >= 0)
                {
                    files.ConvertStoredFeatures(features.Slice(r * width, width), held.Features(index));
                }
                else
                {
                    missedRows[missed] = rows[r];
                    missedPositions[missed++] = r;
                }
            }
            Interlocked.Add(ref _hits, rows.Length - missed);
            Interlocked.Add(ref _misses, missed);
            if (missed > 0)
            {
                ReadMissed(features, missedRows.AsSpan(0, missed), missedPositions.AsSpan(0, missed));
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(missedPositions);
            ArrayPool<int>.Shared.Return(missedRows);
        }
    }

    public override void ReadBytes(Span<byte> bytes, int row)
    {
        if (Find(row, out var held, out int index))
        {
            held.Features(index)[..bytes.Length].CopyTo(bytes);
            return;
        }
        files.ReadBytes(bytes, row);
    }

    public override void ReadLabels(Span<int> labels, int row, int classCount)
    {
        if (Find(row, out var held, out int index))
        {
            files.ConvertStoredLabels(labels, held.Targets(index), row, classCount);
            return;
        }
        files.ReadLabels(labels, row, classCount);
    }

    public override void ReadTargets(Span<float> targets, int row)
    {
        if (Find(row, out var held, out int index))
        {
            files.ConvertStoredTargets(targets, held.Targets(index));
            return;
        }
        files.ReadTargets(targets, row);
    }

    // features (B, F) at positions (M) <- rows (M) read from the files through scratch (M, F).
    private void ReadMissed(Span<float> features, ReadOnlySpan<int> rows, ReadOnlySpan<int> positions)
    {
        int width = FeatureCount;
        var scratch = ArrayPool<float>.Shared.Rent(rows.Length * width);
        try
        {
            files.ReadFeatureRows(scratch.AsSpan(0, rows.Length * width), rows);
            for (int m = 0; m < rows.Length; m++)
            {
                scratch.AsSpan(m * width, width).CopyTo(features.Slice(positions[m] * width, width));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    private bool Find(int row, out StoredRows held, out int index)
    {
        held = Volatile.Read(ref _held)!;
        index = held?.IndexOf(row) ?? -1;
        return index >= 0;
    }
}
