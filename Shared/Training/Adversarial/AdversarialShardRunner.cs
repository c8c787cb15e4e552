using DistributedTrainer.Data;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Losses;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training.Adversarial;

/// <summary>
/// Runs a run of a GAN update's micro-shards through one <see cref="AdversarialEngine"/>, one after another: all of a
/// step's shards in <c>trainctl train</c> (<see cref="LocalAdversarialBackend"/>), a worker's share of them on a
/// cluster. Shard k of a step starts at position <c>index · micro_shard_size</c> of the step's batch, the key of its
/// noise, so a shard gives the same sums wherever it runs.
/// </summary>
public sealed class AdversarialShardRunner : IDisposable
{
    private readonly AdversarialEngine _engine;
    private readonly int _shardSize;

    /// <param name="spec">The GAN job (adversarial set).</param>
    /// <param name="generator">The generator; its parameters are read at each call, its gradients overwritten.</param>
    /// <param name="discriminator">The discriminator, likewise.</param>
    /// <param name="train">The training split, whose sample ids critic updates name.</param>
    public AdversarialShardRunner(JobSpec spec, Model generator, Model discriminator, Dataset train)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var gan = spec.Adversarial ?? throw new ArgumentException("The spec is not a GAN job (adversarial is unset).", nameof(spec));
        _shardSize = MicroShards.SizeOf(spec);
        _engine = new AdversarialEngine(generator, discriminator, new AdversarialLoss(gan.Loss), train,
            new GanNoise(gan.Noise, gan.NoiseSize, GanNetworks.NoiseSeed(spec)), spec.Seed, _shardSize);
    }

    /// <summary>The lowest shard (index into the last call's shards) whose sums were not finite after it; -1 when none.</summary>
    public int FirstNonFiniteShard { get; private set; } = -1;

    /// <summary>
    /// Critic update <paramref name="step"/> over shard k = the next <paramref name="shardLengths"/>[k] ids of
    /// <paramref name="sampleIds"/>, at batch index <paramref name="shardIndices"/>[k]: adds the discriminator's sums
    /// and writes each shard's result to <paramref name="results"/>[k].
    /// </summary>
    public void Critic(long step, ReadOnlySpan<int> sampleIds, ReadOnlySpan<int> shardLengths, ReadOnlySpan<int> shardIndices,
        FixedPointAccumulator gradients, FixedPointAccumulator bufferChanges, Span<ShardResult> results)
    {
        FirstNonFiniteShard = -1;
        for (int k = 0, start = 0; k < shardLengths.Length; start += shardLengths[k], k++)
        {
            results[k] = _engine.Critic(step, sampleIds.Slice(start, shardLengths[k]), shardIndices[k] * _shardSize, gradients, bufferChanges);
            NoteFinite(k, gradients, bufferChanges);
        }
    }

    /// <summary>
    /// Generator update <paramref name="step"/> over shard k = <paramref name="shardLengths"/>[k] noise vectors at batch
    /// index <paramref name="shardIndices"/>[k]: adds the generator's sums and writes each shard's result to
    /// <paramref name="results"/>[k].
    /// </summary>
    public void Generator(long step, ReadOnlySpan<int> shardLengths, ReadOnlySpan<int> shardIndices,
        FixedPointAccumulator gradients, FixedPointAccumulator bufferChanges, Span<ShardResult> results)
    {
        FirstNonFiniteShard = -1;
        for (int k = 0; k < shardLengths.Length; k++)
        {
            results[k] = _engine.Generator(step, shardIndices[k] * _shardSize, shardLengths[k], gradients, bufferChanges);
            NoteFinite(k, gradients, bufferChanges);
        }
    }

    // The sums only lose finiteness, so the first shard after which they are not finite is the offending one.
    private void NoteFinite(int shard, FixedPointAccumulator gradients, FixedPointAccumulator bufferChanges)
    {
        if (FirstNonFiniteShard < 0 && !(gradients.IsFinite && bufferChanges.IsFinite))
        {
            FirstNonFiniteShard = shard;
        }
    }

    public void Dispose() => _engine.Dispose();
}
