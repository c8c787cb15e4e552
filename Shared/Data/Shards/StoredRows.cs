using System.Buffers;

namespace DistributedTrainer.Data.Shards;

/// <summary>
/// Some rows of a shard directory read ahead: their feature and target bytes exactly as they lie in the files, in buffers
/// from the shared array pool that <see cref="Dispose"/> returns. Immutable once read, so gathers on several threads may
/// look rows up at once; the owner disposes it only when no gather uses it.
/// </summary>
internal sealed class StoredRows : IDisposable
{
    // Ascending and distinct: a lookup is a binary search.
    private readonly int[] _rows;
    private readonly int _featureRowBytes;
    private readonly int _targetRowBytes;
    private byte[]? _features;
    private byte[]? _targets;

    private StoredRows(int[] rows, byte[] features, int featureRowBytes, byte[] targets, int targetRowBytes)
    {
        _rows = rows;
        _features = features;
        _featureRowBytes = featureRowBytes;
        _targets = targets;
        _targetRowBytes = targetRowBytes;
    }

    /// <summary>Rows held.</summary>
    public int Count => _rows.Length;

    /// <summary>
    /// Reads the stored bytes of <paramref name="sortedRows"/> (ascending, distinct stored rows of
    /// <paramref name="samples"/>); the buffers go back to the pool when the read fails or is cancelled.
    /// </summary>
    public static StoredRows Read(ShardedSamples samples, int[] sortedRows, CancellationToken cancellationToken)
    {
        int featureRowBytes = samples.FeatureRowBytes;
        int targetRowBytes = samples.TargetRowBytes;
        var features = ArrayPool<byte>.Shared.Rent(sortedRows.Length * featureRowBytes);
        var targets = ArrayPool<byte>.Shared.Rent(sortedRows.Length * targetRowBytes);
        try
        {
            samples.ReadStoredRows(features.AsSpan(0, sortedRows.Length * featureRowBytes),
                targets.AsSpan(0, sortedRows.Length * targetRowBytes), sortedRows, cancellationToken);
            return new StoredRows(sortedRows, features, featureRowBytes, targets, targetRowBytes);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(targets);
            ArrayPool<byte>.Shared.Return(features);
            throw;
        }
    }

    /// <summary>Where stored row <paramref name="row"/> is held, or a negative number when it is not.</summary>
    public int IndexOf(int row) => Array.BinarySearch(_rows, row);

    /// <summary>The stored feature bytes of held row <paramref name="index"/> (an <see cref="IndexOf"/> result).</summary>
    public ReadOnlySpan<byte> Features(int index) => Held(_features).AsSpan(index * _featureRowBytes, _featureRowBytes);

    /// <summary>The stored target bytes of held row <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Targets(int index) => Held(_targets).AsSpan(index * _targetRowBytes, _targetRowBytes);

    /// <summary>Returns the buffers to the pool; later lookups throw.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _features, null) is { } features)
        {
            ArrayPool<byte>.Shared.Return(features);
        }
        if (Interlocked.Exchange(ref _targets, null) is { } targets)
        {
            ArrayPool<byte>.Shared.Return(targets);
        }
    }

    private static byte[] Held(byte[]? buffer) => buffer ?? throw new ObjectDisposedException(nameof(StoredRows));
}
