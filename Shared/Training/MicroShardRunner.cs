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
internal sealed class MicroShardRunner : IDisposable
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
    // The step being computed, read by the workers.
    private int[] _batchSource = [];
    private int _batchStart;
    private int _batchLength;
    private long _step;
    private int _shards;
    private int _nextShard;
    private int _members;

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

    /// <summary>Engines available (the most that run at once).</summary>
    public int Engines => _engines.Length;

    /// <summary>
    /// Forward and backward over the micro-shards of <paramref name="batchLength"/> sample ids starting at
    /// <paramref name="batchStart"/> in <paramref name="batchSource"/>, at optimizer step <paramref name="step"/>;
    /// adds into <paramref name="gradients"/> and <paramref name="bufferChanges"/> as
    /// <see cref="GradientEngine.Compute"/> does for each shard, and returns the sum of the shards' results.
    /// </summary>
    public ShardResult Compute(long step, int[] batchSource, int batchStart, int batchLength,
        FixedPointAccumulator gradients, FixedPointAccumulator bufferChanges)
    {
        int shards = MicroShards.Count(batchLength, _shardSize);
        int members = Math.Min(_engines.Length, shards);
        if (members <= 1)
        {
            var total = default(ShardResult);
            for (int shard = 0; shard < shards; shard++)
            {
                var ids = MicroShards.Slice(batchSource.AsSpan(batchStart, batchLength), shard, _shardSize);
                total += _engines[0].Compute(step, ids, gradients, bufferChanges);
            }
            return total;
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
        if (_results.Length < shards)
        {
            _results = new ShardResult[shards];
        }
        (_batchSource, _batchStart, _batchLength, _step, _shards, _nextShard, _members) =
            (batchSource, batchStart, batchLength, step, shards, 0, members);
        try
        {
            _team!.Run(members, _work);
        }
        finally
        {
            _gradientSums[0] = null!;
            _bufferSums[0] = null!;
            _batchSource = [];
        }
        for (int i = 1; i < members; i++)
        {
            gradients.Add(_gradientSums[i]);
            bufferChanges.Add(_bufferSums[i]);
        }
        var sum = default(ShardResult);
        for (int shard = 0; shard < shards; shard++)
        {
            sum += _results[shard];
        }
        return sum;
    }

    private void Work(int member)
    {
        int saved = ComputeThreads.LimitCurrentThread(Math.Max(1, _threads / _members));
        try
        {
            int shard;
            while ((shard = Interlocked.Increment(ref _nextShard) - 1) < _shards)
            {
                var ids = MicroShards.Slice(_batchSource.AsSpan(_batchStart, _batchLength), shard, _shardSize);
                _results[shard] = _engines[member].Compute(_step, ids, _gradientSums[member], _bufferSums[member]);
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
