using DistributedTrainer.Data;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training.Adversarial;

/// <summary>Computes every micro-shard of a GAN step in this process, on the trainer's networks themselves.</summary>
/// <param name="spec">The GAN job.</param>
/// <param name="generator">The trainer's generator.</param>
/// <param name="discriminator">The trainer's discriminator.</param>
/// <param name="data">The job's loaded data.</param>
public sealed class LocalAdversarialBackend(JobSpec spec, Model generator, Model discriminator, LoadedData data) : IAdversarialBackend
{
    private readonly AdversarialShardRunner _runner = new(spec, generator, discriminator, data.Train);
    private readonly int _shardSize = MicroShards.SizeOf(spec);
    private int[] _lengths = [];
    private int[] _indices = [];
    private ShardResult[] _results = [];
    // Each network's exact sums of an update, averaged into the trainer's StepGradient.
    private readonly FixedPointAccumulator _discriminatorSums = new(discriminator.Store.Count);
    private readonly FixedPointAccumulator _discriminatorBufferSums = new(discriminator.Store.BufferValues.Length);
    private readonly FixedPointAccumulator _generatorSums = new(generator.Store.Count);
    private readonly FixedPointAccumulator _generatorBufferSums = new(generator.Store.BufferValues.Length);

    public ValueTask<ShardResult> CriticAsync(long step, ReadOnlyMemory<int> batch, StepGradient gradient,
        CancellationToken cancellationToken)
    {
        int shards = Cut(batch.Length);
        _discriminatorSums.Clear();
        _discriminatorBufferSums.Clear();
        _runner.Critic(step, batch.Span, _lengths.AsSpan(0, shards), _indices.AsSpan(0, shards), _discriminatorSums,
            _discriminatorBufferSums, _results);
        gradient.Average(_discriminatorSums, _discriminatorBufferSums, batch.Length);
        return ValueTask.FromResult(ShardResult.InShardOrder(_results.AsSpan(0, shards)));
    }

    public ValueTask<ShardResult> GeneratorAsync(long step, int vectors, StepGradient gradient,
        CancellationToken cancellationToken)
    {
        int shards = Cut(vectors);
        _generatorSums.Clear();
        _generatorBufferSums.Clear();
        _runner.Generator(step, _lengths.AsSpan(0, shards), _indices.AsSpan(0, shards), _generatorSums, _generatorBufferSums, _results);
        gradient.Average(_generatorSums, _generatorBufferSums, vectors);
        return ValueTask.FromResult(ShardResult.InShardOrder(_results.AsSpan(0, shards)));
    }

    // The step's shards, all of them, in order: lengths and batch indices.
    private int Cut(int samples)
    {
        int shards = MicroShards.Count(samples, _shardSize);
        if (_lengths.Length < shards)
        {
            _lengths = new int[shards];
            _indices = new int[shards];
            _results = new ShardResult[shards];
        }
        for (int k = 0; k < shards; k++)
        {
            _lengths[k] = Math.Min(_shardSize, samples - k * _shardSize);
            _indices[k] = k;
        }
        return shards;
    }

    public void Dispose() => _runner.Dispose();
}
