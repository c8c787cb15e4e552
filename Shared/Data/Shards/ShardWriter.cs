using System.Security.Cryptography;

namespace DistributedTrainer.Data.Shards;

/// <summary>
/// Writes a shard directory one sample at a time: shards of <c>shardSize</c> samples (the last one shorter), each a
/// features and a targets .npy file hashed with SHA-256 as it is written, then index.json. The sample count is known
/// up front so every header is final when written and nothing is read back.
/// </summary>
public sealed class ShardWriter : IDisposable
{
    private readonly string _directory;
    private readonly NpyDType _featureType;
    private readonly int[] _featureShape;
    private readonly TargetKind _targetKind;
    private readonly NpyDType _targetType;
    private readonly int[] _targetShape;
    private readonly int? _classCount;
    private readonly long _total;
    private readonly int _shardSize;
    private readonly int _featureBytes;
    private readonly int _targetBytes;
    private readonly List<ShardEntry> _shards = [];
    private HashedFile? _features;
    private HashedFile? _targets;
    private int _inShard;
    private int _shardSamples;
    private long _written;

    /// <param name="directory">An existing, empty directory.</param>
    /// <param name="featureType">Element type of the features.</param>
    /// <param name="featureShape">Shape of one sample's features.</param>
    /// <param name="targetKind">What the targets are.</param>
    /// <param name="targetType">Element type of the targets.</param>
    /// <param name="targetShape">Shape of one sample's targets ([] for class ids).</param>
    /// <param name="classCount">Classes of class-id or multi-hot targets, written to the index; null to leave it out.</param>
    /// <param name="samples">Samples that will be added, &gt;= 1.</param>
    /// <param name="shardSize">Samples per shard, &gt;= 1.</param>
    public ShardWriter(string directory, NpyDType featureType, int[] featureShape, TargetKind targetKind, NpyDType targetType,
        int[] targetShape, int? classCount, long samples, int shardSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(shardSize, 1);
        _directory = directory;
        _featureType = featureType;
        _featureShape = featureShape;
        _targetKind = targetKind;
        _targetType = targetType;
        _targetShape = targetShape;
        _classCount = classCount;
        _total = samples;
        _shardSize = shardSize;
        _featureBytes = checked(featureShape.Aggregate(1, (product, size) => product * size) * featureType.Size());
        _targetBytes = checked(targetShape.Aggregate(1, (product, size) => product * size) * targetType.Size());
    }

    /// <summary>Appends one sample: its features and targets as little-endian elements of the declared types.</summary>
    public void Add(ReadOnlySpan<byte> features, ReadOnlySpan<byte> targets)
    {
        if (features.Length != _featureBytes || targets.Length != _targetBytes)
        {
            throw new ArgumentException(
                $"A sample takes {_featureBytes} feature bytes and {_targetBytes} target bytes; got {features.Length} and {targets.Length}");
        }
        if (_written == _total)
        {
            throw new InvalidOperationException($"All {_total} samples were added already");
        }
        if (_features is null)
        {
            StartShard();
        }
        _features!.Write(features);
        _targets!.Write(targets);
        _written++;
        if (++_inShard == _shardSamples)
        {
            EndShard();
        }
    }

    /// <summary>Writes index.json once every sample was added, and returns the index.</summary>
    public ShardIndex Complete()
    {
        if (_written != _total)
        {
            throw new InvalidOperationException($"{_written} of {_total} samples were added");
        }
        var index = new ShardIndex(_featureType, _featureShape, _targetKind, _targetType, _targetShape, _classCount, _shards);
        index.Write(_directory);
        return index;
    }

    public void Dispose()
    {
        _features?.Dispose();
        _targets?.Dispose();
    }

    private void StartShard()
    {
        _shardSamples = (int)Math.Min(_shardSize, _total - _written);
        _inShard = 0;
        string stem = $"shard-{_shards.Count:D5}";
        _features = new HashedFile(Path.Combine(_directory, stem + ".features.npy"),
            NpyHeader.Encode(_featureType, [_shardSamples, .. _featureShape.Select(size => (long)size)]));
        _targets = new HashedFile(Path.Combine(_directory, stem + ".targets.npy"),
            NpyHeader.Encode(_targetType, [_shardSamples, .. _targetShape.Select(size => (long)size)]));
    }

    private void EndShard()
    {
        string featuresHash = _features!.Finish();
        string targetsHash = _targets!.Finish();
        _shards.Add(new ShardEntry(Path.GetFileName(_features.Path), Path.GetFileName(_targets.Path), _shardSamples, featuresHash, targetsHash));
        _features.Dispose();
        _targets.Dispose();
        _features = null;
        _targets = null;
    }

    /// <summary>A file written sequentially while its SHA-256 is computed.</summary>
    private sealed class HashedFile : IDisposable
    {
        private readonly FileStream _stream;
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public HashedFile(string path, byte[] header)
        {
            Path = path;
            _stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            Write(header);
        }

        public string Path { get; }

        public void Write(ReadOnlySpan<byte> bytes)
        {
            _stream.Write(bytes);
            _hash.AppendData(bytes);
        }

        public string Finish()
        {
            _stream.Flush(flushToDisk: true);
            return Convert.ToHexStringLower(_hash.GetHashAndReset());
        }

        public void Dispose()
        {
            _stream.Dispose();
            _hash.Dispose();
        }
    }
}
