using DistributedTrainer.Data;
using DistributedTrainer.Numerics;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Losses;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training;

/// <summary>
/// Computes all micro-shards of a batch into one exact sum, on several gradient engines side by side when the
/// batch has more than one shard and more than one kernel thread is allowed. Engine 0 works on the model
/// itself, each other engine on a replica whose parameters and buffers are copied from it before every step.
/// Shards go to whichever engine is free next; since every shard's gradient is added in exact fixed point and
/// its loss and accuracy are summed in shard order, the result is bitwise the same for every thread count
/// and every assignment of shards to engines.
/// </summary>
/// <remarks>
/// Threading whole micro-shards replaces threading inside each GEMM: one fork and join per step instead of
/// several per shard, and the fixed-point conversion runs in parallel too. Each engine's kernels get an even
/// share of <see cref="ComputeThreads.Count"/>.
/// </remarks>
public sealed class MicroShardRunner : IShardRunner
{
    private readonly Model _model;
    private readonly int _shardSize;
    private readonly GradientEngine[] _engines;
    private readonly Model[] _replicas;
    private readonly FixedPointAccumulator[] _gradientSums;
    private readonly FixedPointAccumulator[] _bufferSums;
    private readonly WorkerTeam? _team;
    private readonly Action<int> _work;
    private readonly int _threads;
    private ShardResult[] _results = [];
    // The step being computed, read by the workers: shard s holds _ids[_shardStarts[s] .. + _shardLengths[s]].
    private int[] _ids = [];
    private int[] _shardStarts = [];
    private int[] _shardLengths = [];
    private long _step;
    // Each call's parameters, for the engines' passes (StepContext.ParameterVersion): nothing changes them during a call.
    private static long s_parameterVersions;
    private long _parameterVersion;
    private int _shards;
    private int _nextShard;
    // The call's shards come from here when given (ComputeShardsFrom); from _nextShard otherwise.
    private IShardQueue? _queue;
    private int _computedShards;
    private int _members;
    private int _firstNonFiniteShard;

    /// <param name="modelSpec">The model's spec, to build replicas.</param>
    /// <param name="model">The model; its parameters are read, its gradients overwritten.</param>
    /// <param name="loss">The loss (stateless, shared by the engines).</param>
    /// <param name="data">The training split.</param>
    /// <param name="seed">The job's seed.</param>
    /// <param name="shardSize">Samples per micro-shard.</param>
    /// <param name="threads">Engines to run at most; default <see cref="ComputeThreads.Count"/> when 0.</param>
    public MicroShardRunner(ModelSpec modelSpec, Model model, Loss loss, Dataset data, ulong seed, int shardSize,
        int threads = 0)
    {
        _model = model;
        _shardSize = shardSize;
        _threads = threads > 0 ? threads : ComputeThreads.Count;
        int engines = _threads;
        _replicas = new Model[engines - 1];
        _engines = new GradientEngine[engines];
        _gradientSums = new FixedPointAccumulator[engines];
        _bufferSums = new FixedPointAccumulator[engines];
        try
        {
            _engines[0] = new GradientEngine(model, loss, data, seed, shardSize);
            for (int i = 1; i < engines; i++)
            {
                _replicas[i - 1] = ModelFactory.Build(modelSpec, data.FeatureCount, shardSize);
                _engines[i] = new GradientEngine(_replicas[i - 1], loss, data, seed, shardSize);
                _gradientSums[i] = new FixedPointAccumulator(model.Store.Count);
                _bufferSums[i] = new FixedPointAccumulator(model.Store.BufferValues.Length);
            }
            _team = engines > 1 ? new WorkerTeam(engines) : null;
        }
        catch
        {
            Dispose();
            throw;
        }
        _work = Work;
    }

    /// <summary>
    /// The lowest shard (index into the last call's shards) whose gradient or buffer change held NaN, infinity or a value
    /// out of fixed-point range; -1 when every shard was finite. Known because an engine's sums turn non-finite exactly
    /// when such a shard is added.
    /// </summary>
    public int FirstNonFiniteShard { get; private set; } = -1;

    /// <summary>Engines available (the most that run at once).</summary>
    public int Engines => _engines.Length;

    /// <summary>
    /// Forward and backward over the micro-shards of the sample ids in <paramref name="batch"/>, at optimizer step <paramref name="step"/>;
    /// adds into <paramref name="gradients"/> and <paramref name="bufferChanges"/> as
    /// <see cref="GradientEngine.Compute"/> does for each shard, and returns the sum of the shards' results.
    /// </summary>
    public ShardResult Compute(long step, ReadOnlySpan<int> batch, FixedPointAccumulator gradients,
        FixedPointAccumulator bufferChanges)
    {
        int batchLength = batch.Length;
        int shards = MicroShards.Count(batchLength, _shardSize);
        EnsureShardCapacity(shards, batchLength);
        batch.CopyTo(_ids);
        for (int shard = 0; shard < shards; shard++)
        {
            _shardStarts[shard] = shard * _shardSize;
            _shardLengths[shard] = Math.Min(_shardSize, batchLength - shard * _shardSize);
        }
        Run(step, shards, gradients, bufferChanges, null);
        return ShardResult.InShardOrder(_results.AsSpan(0, shards));
    }

    /// <summary>
    /// Forward and backward over arbitrary micro-shards, the way a worker gets them: shard k holds the next
    /// <paramref name="shardLengths"/>[k] ids of <paramref name="sampleIds"/>. Adds into the sums as
    /// <see cref="Compute"/> does and writes
    /// each shard's result to <paramref name="results"/>[k].
    /// </summary>
    public void ComputeShards(long step, ReadOnlySpan<int> sampleIds, ReadOnlySpan<int> shardLengths,
        FixedPointAccumulator gradients, FixedPointAccumulator bufferChanges, Span<ShardResult> results) =>
        ComputeShards(null, step, sampleIds, shardLengths, gradients, bufferChanges, results);

    /// <summary>
    /// As <see cref="ComputeShards(long, ReadOnlySpan{int}, ReadOnlySpan{int}, FixedPointAccumulator, FixedPointAccumulator, Span{ShardResult})"/>,
    /// but computes only the shards it takes from <paramref name="queue"/>, which hands them out in order and may give the
    /// rest to another worker. Returns how many it computed: the first that many shards, whose results are in
    /// <paramref name="results"/>.
    /// </summary>
    public int ComputeShardsFrom(IShardQueue queue, long step, ReadOnlySpan<int> sampleIds, ReadOnlySpan<int> shardLengths,
        FixedPointAccumulator gradients, FixedPointAccumulator bufferChanges, Span<ShardResult> results)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return ComputeShards(queue, step, sampleIds, shardLengths, gradients, bufferChanges, results);
    }

    /// <summary>
    /// Forward and backward over one more shard, <paramref name="sampleIds"/>, with the parameters of the last call: a shard
    /// taken over from another worker of the same step. Adds into the sums as the calls above do.
    /// </summary>
    public ShardResult ComputeAnother(long step, ReadOnlySpan<int> sampleIds, FixedPointAccumulator gradients, FixedPointAccumulator bufferChanges)
    {
        if (sampleIds.Length < 1 || sampleIds.Length > _shardSize)
        {
            throw new ArgumentException($"Invalid sampleIds: {sampleIds.Length} ids (must be in [1, {_shardSize}])", nameof(sampleIds));
        }
        return _engines[0].Compute(step, sampleIds, gradients, bufferChanges, _parameterVersion);
    }

    private int ComputeShards(IShardQueue? queue, long step, ReadOnlySpan<int> sampleIds, ReadOnlySpan<int> shardLengths,
        FixedPointAccumulator gradients, FixedPointAccumulator bufferChanges, Span<ShardResult> results)
    {
        int shards = shardLengths.Length;
        if (results.Length < shards)
        {
            throw new ArgumentException($"Invalid results: room for {results.Length} shards, {shards} given", nameof(results));
        }
        EnsureShardCapacity(shards, sampleIds.Length);
        int start = 0;
        for (int shard = 0; shard < shards; shard++)
        {
            int length = shardLengths[shard];
            if (length < 1 || length > _shardSize || start + length > sampleIds.Length)
            {
                throw new ArgumentException(
                    $"Invalid shard_lengths[{shard}]: {length} (must be in [1, {_shardSize}] and within the {sampleIds.Length} sample ids)",
                    nameof(shardLengths));
            }
            _shardStarts[shard] = start;
            _shardLengths[shard] = length;
            start += length;
        }
        if (start != sampleIds.Length)
        {
            throw new ArgumentException($"Invalid shard_lengths: they cover {start} of the {sampleIds.Length} sample ids", nameof(shardLengths));
        }
        sampleIds.CopyTo(_ids);
        Run(step, shards, gradients, bufferChanges, queue);
        _results.AsSpan(0, _computedShards).CopyTo(results);
        return _computedShards;
    }

    private void EnsureShardCapacity(int shards, int samples)
    {
        if (_results.Length < shards)
        {
            _results = new ShardResult[shards];
            _shardStarts = new int[shards];
            _shardLengths = new int[shards];
        }
        if (_ids.Length < samples)
        {
            _ids = new int[samples];
        }
    }

    private void Run(long step, int shards, FixedPointAccumulator gradients, FixedPointAccumulator bufferChanges, IShardQueue? queue)
    {
        _parameterVersion = Interlocked.Increment(ref s_parameterVersions);
        int members = Math.Min(_engines.Length, shards);
        _firstNonFiniteShard = int.MaxValue;
        (_shards, _nextShard, _queue, _computedShards) = (shards, 0, queue, 0);
        if (members <= 1)
        {
            bool finite = gradients.IsFinite && bufferChanges.IsFinite;
            while (TryTakeNext(out int shard))
            {
                _computedShards++;
                _results[shard] = _engines[0].Compute(step, ShardIds(shard), gradients, bufferChanges, _parameterVersion);
                if (finite && !(gradients.IsFinite && bufferChanges.IsFinite))
                {
                    finite = false;
                    _firstNonFiniteShard = shard;
                }
            }
            FirstNonFiniteShard = _firstNonFiniteShard == int.MaxValue ? -1 : _firstNonFiniteShard;
            return;
        }

        for (int i = 1; i < members; i++)
        {
            _model.Store.Values.CopyTo(_replicas[i - 1].Store.Values);
            _model.Store.BufferValues.CopyTo(_replicas[i - 1].Store.BufferValues);
            _gradientSums[i].Clear();
            _bufferSums[i].Clear();
        }
        _gradientSums[0] = gradients;
        _bufferSums[0] = bufferChanges;
        (_step, _members) = (step, members);
        try
        {
            _team!.Run(members, _work);
        }
        finally
        {
            _gradientSums[0] = null!;
            _bufferSums[0] = null!;
        }
        for (int i = 1; i < members; i++)
        {
            gradients.Add(_gradientSums[i]);
            bufferChanges.Add(_bufferSums[i]);
        }
        FirstNonFiniteShard = _firstNonFiniteShard == int.MaxValue ? -1 : _firstNonFiniteShard;
    }

    private static void InterlockedMin(ref int target, int value)
    {
        int current = Volatile.Read(ref target);
        while (value < current)
        {
            int seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }

    // The queue hands shards out in order, so the shards computed are always the first _computedShards.
    private bool TryTakeNext(out int shard)
    {
        if (_queue is not null)
        {
            bool taken = _queue.TryTakeNext(out shard);
            return !taken ? false
                : (uint)shard < (uint)_shards ? true
                : throw new InvalidOperationException($"The shard queue handed out shard {shard} of a step with {_shards}");
        }
        shard = Interlocked.Increment(ref _nextShard) - 1;
        return shard < _shards;
    }

    private ReadOnlySpan<int> ShardIds(int shard) => _ids.AsSpan(_shardStarts[shard], _shardLengths[shard]);

    private void Work(int member)
    {
        int saved = ComputeThreads.LimitCurrentThread(Math.Max(1, _threads / _members));
        try
        {
            int shard;
            var gradients = _gradientSums[member];
            var buffers = _bufferSums[member];
            bool finite = gradients.IsFinite && buffers.IsFinite;
            while (TryTakeNext(out shard))
            {
                Interlocked.Increment(ref _computedShards);
                _results[shard] = _engines[member].Compute(_step, ShardIds(shard), gradients, buffers, _parameterVersion);
                if (finite && !(gradients.IsFinite && buffers.IsFinite))
                {
                    // Each member takes shards in increasing order, so its first offender is its lowest.
                    finite = false;
                    InterlockedMin(ref _firstNonFiniteShard, shard);
                }
            }
        }
        finally
        {
            ComputeThreads.LimitCurrentThread(saved);
        }
    }

    public void Dispose()
    {
        _team?.Dispose();
        foreach (var engine in _engines)
        {
            engine?.Dispose();
        }
        foreach (var replica in _replicas)
        {
            replica?.Dispose();
        }
    }
}
