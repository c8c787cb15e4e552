using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace DistributedTrainer.Data.Shards;

/// <summary>
/// The samples of a shard directory: opening reads only index.json and the .npy headers, and a gather reads only the
/// rows it asks for, with positional reads (<see cref="NpyRows"/>), so the data's pages stay in the page cache and out
/// of the process's resident set. Sample i is row i - first of the shard whose range holds it.
/// </summary>
internal sealed class ShardedSamples : SampleStore
{
    private readonly ShardIndex _index;
    private readonly NpyRows[] _features;
    private readonly NpyRows[] _targets;
    // _firsts[s] is the data set position of shard s's first sample; one more entry holds the total.
    private readonly int[] _firsts;
    private readonly string _directory;

    private ShardedSamples(ShardIndex index, NpyRows[] features, NpyRows[] targets, int[] firsts, string directory)
    {
        _index = index;
        _features = features;
        _targets = targets;
        _firsts = firsts;
        _directory = directory;
    }

    /// <summary>The directory's index.</summary>
    public ShardIndex Index => _index;

    public override int Count => _firsts[^1];

    public override int FeatureCount => _index.FeatureCount;

    public override bool StoresBytes => _index.FeatureType == NpyDType.UInt8;

    public override int TargetWidth => _index.TargetWidth;

    public override TargetKind TargetKind => _index.TargetKind;

    /// <summary>
    /// Reads the index of <paramref name="path"/> (a shard directory or its index.json) and opens every shard, checking
    /// each file's header against the index. Shard files must lie in the directory once links are resolved, so an
    /// index inside a data root cannot reach outside it. Errors name the index field or the shard file.
    /// </summary>
    public static ShardedSamples Open(string path)
    {
        var index = ShardIndex.Read(path);
        string indexPath = ShardIndex.IndexPath(path);
        string directory = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        string resolvedDirectory = DataRoots.ResolvePath(directory) ?? directory;
        var features = new NpyRows[index.Shards.Count];
        var targets = new NpyRows[index.Shards.Count];
        var firsts = new int[index.Shards.Count + 1];
        for (int s = 0; s < index.Shards.Count; s++)
        {
            var shard = index.Shards[s];
            long[] featureShape = [shard.Samples, .. index.FeatureShape.Select(size => (long)size)];
            long[] targetShape = [shard.Samples, .. index.TargetShape.Select(size => (long)size)];
            features[s] = Map(directory, resolvedDirectory, $"shards[{s}].features", shard.Features, index.FeatureType, featureShape);
            targets[s] = Map(directory, resolvedDirectory, $"shards[{s}].targets", shard.Targets, index.TargetType, targetShape);
            firsts[s + 1] = firsts[s] + shard.Samples;
        }
        return new ShardedSamples(index, features, targets, firsts, directory);
    }

    public override void ReadFeatures(Span<float> features, int row)
    {
        var (shard, local) = Locate(row);
        Convert(_features[shard], _index.FeatureType, features, local);
    }

    /// <summary>
    /// Reads the rows in file order (sorted by shard and row) and merges rows that follow each other in a shard into one
    /// positional read of up to <see cref="MergedReadBytes"/>, then converts each row into its place in
    /// <paramref name="features"/>. Scratch comes from the shared array pool, so a steady gather allocates nothing.
    /// </summary>
    public override void ReadFeatureRows(Span<float> features, ReadOnlySpan<int> rows)
    {
        int rowBytes = FeatureCount * _index.FeatureType.Size();
        int maxRun = Math.Max(1, MergedReadBytes / Math.Max(1, rowBytes));
        var sortedRows = ArrayPool<int>.Shared.Rent(rows.Length);
        var positions = ArrayPool<int>.Shared.Rent(rows.Length);
        var scratch = ArrayPool<byte>.Shared.Rent(Math.Min(rows.Length, maxRun) * rowBytes);
        try
        {
            rows.CopyTo(sortedRows);
            for (int r = 0; r < rows.Length; r++)
            {
                positions[r] = r;
            }
            Array.Sort(sortedRows, positions, 0, rows.Length);
            int start = 0;
            while (start < rows.Length)
            {
                var (shard, local) = Locate(sortedRows[start]);
                int run = RunLength(sortedRows.AsSpan(0, rows.Length), start, shard, maxRun);
                var raw = scratch.AsSpan(0, run * rowBytes);
                _features[shard].ReadRows(raw, local);
                for (int k = 0; k < run; k++)
                {
                    var destination = features.Slice(positions[start + k] * FeatureCount, FeatureCount);
                    ConvertRaw(raw.Slice(k * rowBytes, rowBytes), _index.FeatureType, destination);
                }
                start += run;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
            ArrayPool<int>.Shared.Return(positions);
            ArrayPool<int>.Shared.Return(sortedRows);
        }
    }

    /// <summary>Bytes of one stored feature row.</summary>
    internal int FeatureRowBytes => FeatureCount * _index.FeatureType.Size();

    /// <summary>Bytes of one stored target row (0 when there are no shards).</summary>
    internal int TargetRowBytes => _targets.Length == 0 ? 0 : (int)_targets[0].RowBytes;

    /// <summary>
    /// features (R, <see cref="FeatureRowBytes"/>) and targets (R, <see cref="TargetRowBytes"/>) &lt;- the stored bytes of
    /// <paramref name="sortedRows"/> (R, ascending, distinct) as they lie in the files, for a read ahead to convert later as
    /// a gather would. Rows that follow each other in a shard are one positional read of up to
    /// <see cref="MergedReadBytes"/>; <paramref name="cancellationToken"/> is checked between reads.
    /// </summary>
    /// <exception cref="InvalidDataException">A shard file has shrunk since it was opened.</exception>
    internal void ReadStoredRows(Span<byte> features, Span<byte> targets, ReadOnlySpan<int> sortedRows, CancellationToken cancellationToken)
    {
        ReadRuns(_features, features, FeatureRowBytes, sortedRows, cancellationToken);
        ReadRuns(_targets, targets, TargetRowBytes, sortedRows, cancellationToken);
    }

    /// <summary>features (F) &lt;- one row's stored feature bytes (<see cref="FeatureRowBytes"/>), converted as <see cref="ReadFeatureRows"/> converts them.</summary>
    internal void ConvertStoredFeatures(Span<float> features, ReadOnlySpan<byte> stored) => ConvertRaw(stored, _index.FeatureType, features);

    /// <summary>targets (<see cref="TargetWidth"/>) &lt;- one row's stored target bytes, converted as <see cref="ReadTargets"/> converts them.</summary>
    internal void ConvertStoredTargets(Span<float> targets, ReadOnlySpan<byte> stored) =>
        ConvertRaw(stored[..(targets.Length * _index.TargetType.Size())], _index.TargetType, targets);

    /// <summary>labels &lt;- the class id in row <paramref name="row"/>'s stored target bytes, checked as <see cref="ReadLabels"/> checks it.</summary>
    internal void ConvertStoredLabels(Span<int> labels, ReadOnlySpan<byte> stored, int row, int classCount)
    {
        long id = _index.TargetType switch
        {
            NpyDType.UInt8 => stored[0],
            NpyDType.Int32 => MemoryMarshal.Read<int>(stored),
            _ => MemoryMarshal.Read<long>(stored),
        };
        labels[0] = CheckedClassId(id, row, classCount);
    }

    public override void ReadBytes(Span<byte> bytes, int row)
    {
        var (shard, local) = Locate(row);
        _features[shard].ReadRow(bytes, local);
    }

    public override void ReadLabels(Span<int> labels, int row, int classCount)
    {
        var (shard, local) = Locate(row);
        var file = _targets[shard];
        long id = _index.TargetType switch
        {
            NpyDType.UInt8 => ReadOne<byte>(file, local),
            NpyDType.Int32 => ReadOne<int>(file, local),
            _ => ReadOne<long>(file, local),
        };
        labels[0] = CheckedClassId(id, row, classCount);
    }

    public override void ReadTargets(Span<float> targets, int row)
    {
        var (shard, local) = Locate(row);
        Convert(_targets[shard], _index.TargetType, targets, local);
    }

    /// <summary>The most bytes one merged read of adjacent rows takes: 1 MiB.</summary>
    internal const int MergedReadBytes = 1 << 20;

    private static NpyRows Map(string directory, string resolvedDirectory, string field, string name, NpyDType type, long[] shape)
    {
        string path = Path.Combine(directory, name);
        string? resolved = DataRoots.ResolvePath(path);
        if (resolved is null || Path.GetDirectoryName(resolved) != resolvedDirectory)
        {
            throw new InvalidDataException($"{ShardIndex.FileName}: {field}: {path} leads outside the shard directory (links are resolved)");
        }
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{ShardIndex.FileName}: {field}: file not found: {path}", path);
        }
        try
        {
            return NpyRows.Open(path, type, shape);
        }
        catch (Exception failure) when (failure is InvalidDataException or OverflowException)
        {
            throw new InvalidDataException($"{ShardIndex.FileName}: {field}: {path} {failure.Message}", failure);
        }
    }

    private int CheckedClassId(long id, int row, int classCount)
    {
        if ((ulong)id >= (ulong)classCount)
        {
            var (shard, local) = Locate(row);
            // The id itself is not quoted: it is file content, and the message may go back to a remote caller.
            throw new InvalidDataException(
                $"{Path.Combine(_directory, _index.Shards[shard].Targets)}: sample {local} has a class id outside [0, {classCount})");
        }
        return (int)id;
    }

    // destination (R, rowBytes) <- the rows of `files` at sortedRows (R, ascending), adjacent rows of a shard in one read.
    private void ReadRuns(NpyRows[] files, Span<byte> destination, int rowBytes, ReadOnlySpan<int> sortedRows, CancellationToken cancellationToken)
    {
        int maxRun = Math.Max(1, MergedReadBytes / Math.Max(1, rowBytes));
        int start = 0;
        while (start < sortedRows.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (shard, local) = Locate(sortedRows[start]);
            int run = RunLength(sortedRows, start, shard, maxRun);
            files[shard].ReadRows(destination.Slice(start * rowBytes, run * rowBytes), local);
            start += run;
        }
    }

    // How many of sortedRows from `start` on follow each other in `shard` (the shard of sortedRows[start]), at most maxRun.
    private int RunLength(ReadOnlySpan<int> sortedRows, int start, int shard, int maxRun)
    {
        int shardEnd = _firsts[shard + 1];
        int run = 1;
        while (start + run < sortedRows.Length && run < maxRun
            && sortedRows[start + run] == sortedRows[start] + run && sortedRows[start + run] < shardEnd)
        {
            run++;
        }
        return run;
    }

    private (int Shard, long Local) Locate(int row)
    {
        int shard = Array.BinarySearch(_firsts, row);
        // A miss gives the complement of the next larger first; the shard is the one before it.
        shard = shard >= 0 ? shard : ~shard - 1;
        return (shard, row - _firsts[shard]);
    }

    private static T ReadOne<T>(NpyRows file, long row)
        where T : unmanaged
    {
        Span<T> value = stackalloc T[1];
        file.ReadRow(value, row);
        return value[0];
    }

    // destination (W) <- row of a file of type `type`, converted to float as IDX bytes are (exact for integers below 2^24).
    private static void Convert(NpyRows file, NpyDType type, Span<float> destination, long row)
    {
        if (type == NpyDType.Float32)
        {
            file.ReadRow(destination, row);
            return;
        }
        var scratch = ArrayPool<byte>.Shared.Rent(destination.Length * type.Size());
        try
        {
            var raw = scratch.AsSpan(0, destination.Length * type.Size());
            file.ReadRow(raw, row);
            ConvertRaw(raw, type, destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    // destination (W) <- raw (W elements of `type`) converted to float.
    private static void ConvertRaw(ReadOnlySpan<byte> raw, NpyDType type, Span<float> destination)
    {
        switch (type)
        {
            case NpyDType.Float32:
                MemoryMarshal.Cast<byte, float>(raw).CopyTo(destination);
                break;
            case NpyDType.UInt8:
                TensorPrimitives.ConvertTruncating<byte, float>(raw, destination);
                break;
            case NpyDType.Int32:
                TensorPrimitives.ConvertTruncating<int, float>(MemoryMarshal.Cast<byte, int>(raw), destination);
                break;
            default:
                TensorPrimitives.ConvertTruncating<long, float>(MemoryMarshal.Cast<byte, long>(raw), destination);
                break;
        }
    }
}
