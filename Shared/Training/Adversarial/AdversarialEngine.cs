using DistributedTrainer.Data;
using DistributedTrainer.Numerics;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Losses;

namespace DistributedTrainer.Training.Adversarial;

/// <summary>
/// What one micro-shard contributes to a GAN update, the worker's half of a step as <see cref="GradientEngine"/> is
/// for one network: the gradient sum of the network being updated, its sample-weighted buffer change (BatchNorm
/// running statistics) and its loss sum, each added into exact fixed-point sums so that a step's result does not
/// depend on how its micro-shards were spread. The network not being updated runs in training mode too (batch
/// statistics, as PyTorch's DCGAN does) but its buffers are put back after every pass, so only an update moves them.
/// </summary>
/// <remarks>
/// Samples are told apart by position in the step's batch: generated sample p of a critic update comes from noise
/// vector p of that step, and its dropout masks are keyed by sample id (training samples + p), never by worker.
/// </remarks>
public sealed class AdversarialEngine : IDisposable
{
    private readonly Model _generator;
    private readonly Model _discriminator;
    private readonly AdversarialLoss _loss;
    private readonly Dataset _data;
    private readonly GanNoise _noise;
    private readonly ulong _seed;
    private readonly int _features;
    private readonly AlignedBuffer _real;
    private readonly AlignedBuffer _latent;
    private readonly AlignedBuffer _outputGradient;
    private readonly AlignedBuffer _sampleGradient;
    private readonly int[] _labels;
    private readonly float[] _generatorBuffers;
    private readonly float[] _discriminatorBuffers;
    private readonly float[] _bufferDelta;
    private readonly StepContext _generatorContext = new() { Training = true };
    private readonly StepContext _discriminatorContext = new() { Training = true };

    /// <param name="generator">Noise (B, noise size) to samples (B, features); parameters read, gradients overwritten.</param>
    /// <param name="discriminator">Samples (B, features) to one output each; parameters read, gradients overwritten.</param>
    /// <param name="loss">The GAN loss.</param>
    /// <param name="data">The training split, whose sample ids the critic updates name.</param>
    /// <param name="noise">The noise; this engine's own instance (it keeps scratch).</param>
    /// <param name="seed">The job's seed, a key of dropout masks.</param>
    /// <param name="maxShard">Largest micro-shard.</param>
    public AdversarialEngine(Model generator, Model discriminator, AdversarialLoss loss, Dataset data, GanNoise noise,
        ulong seed, int maxShard)
    {
        if (generator.OutputSize != data.FeatureCount || discriminator.InputSize != data.FeatureCount || discriminator.OutputSize != 1)
        {
            throw new ArgumentException(
                $"Invalid networks: the generator gives {generator.OutputSize} features and the discriminator maps {discriminator.InputSize} to {discriminator.OutputSize}; samples have {data.FeatureCount} features and the discriminator must give 1.");
        }
        _generator = generator;
        _discriminator = discriminator;
        _loss = loss;
        _data = data;
        _noise = noise;
        _seed = seed;
        _features = data.FeatureCount;
        MaxShard = maxShard;
        _real = new AlignedBuffer(maxShard * _features);
        _latent = new AlignedBuffer(maxShard * noise.Size);
        _outputGradient = new AlignedBuffer(maxShard);
        _sampleGradient = new AlignedBuffer(maxShard * _features);
        _labels = new int[maxShard * data.TargetsPerSample];
        _generatorBuffers = new float[generator.Store.BufferValues.Length];
        _discriminatorBuffers = new float[discriminator.Store.BufferValues.Length];
        _bufferDelta = new float[Math.Max(_generatorBuffers.Length, _discriminatorBuffers.Length)];
        _generatorContext.SampleIds = new long[maxShard];
        _discriminatorContext.SampleIds = new long[maxShard];
    }

    /// <summary>Largest micro-shard this engine accepts.</summary>
    public int MaxShard { get; }

    /// <summary>
    /// One micro-shard of critic update <paramref name="step"/>: the real samples <paramref name="sampleIds"/>, and as
    /// many generated ones from noise vectors <paramref name="firstPosition"/>.. of the step. Adds the discriminator's
    /// gradient sum of both halves into <paramref name="gradients"/> and its buffer change into
    /// <paramref name="bufferChanges"/>; returns the loss sum of both halves over the shard's real sample count.
    /// </summary>
    public ShardResult Critic(long step, ReadOnlySpan<int> sampleIds, int firstPosition, FixedPointAccumulator gradients,
        FixedPointAccumulator bufferChanges)
    {
        int rows = CheckRows(sampleIds.Length);
        var real = _real.Span[..(rows * _features)];
        _data.Gather(real, _labels.AsSpan(0, rows * _data.TargetsPerSample), sampleIds);
        var fake = Generate(step, firstPosition, rows, GanNoise.CriticStream, keepBuffers: false);

        var discriminatorBuffers = _discriminator.Store.BufferValues;
        discriminatorBuffers.CopyTo(_discriminatorBuffers);
        _discriminator.ZeroGradients();
        var outputGradient = _outputGradient.Span[..rows];
        // Real and generated samples go through the discriminator apart, so batch statistics never mix the two.
        _discriminatorContext.Seed = _seed;
        _discriminatorContext.Step = step;
        for (int i = 0; i < rows; i++)
        {
            _discriminatorContext.SampleIds[i] = sampleIds[i];
        }
        double loss = _loss.Real(outputGradient, _discriminator.Forward(_discriminatorContext, real, rows));
        _discriminator.Backward(_discriminatorContext, outputGradient, rows);
        StartBufferDelta(discriminatorBuffers, _discriminatorBuffers, rows);

        SetGeneratedIds(_discriminatorContext, step, firstPosition, rows);
        loss += _loss.Fake(outputGradient, _discriminator.Forward(_discriminatorContext, fake, rows));
        _discriminator.Backward(_discriminatorContext, outputGradient, rows);
        gradients.Add(_discriminator.Store.Gradients);
        if (discriminatorBuffers.Length > 0)
        {
            // The changes of both passes, each from the buffers before the shard, weighted by the shard's size.
            AddBufferDelta(discriminatorBuffers, _discriminatorBuffers, rows);
            bufferChanges.Add(_bufferDelta.AsSpan(0, discriminatorBuffers.Length));
        }
        return new ShardResult(loss, 0, rows);
    }

    /// <summary>
    /// One micro-shard of generator update <paramref name="step"/>: noise vectors <paramref name="firstPosition"/> ..
    /// + <paramref name="rows"/> − 1 through the generator and the discriminator. Adds the generator's gradient sum
    /// into <paramref name="gradients"/> and its buffer change into <paramref name="bufferChanges"/>; returns the
    /// generator's loss sum.
    /// </summary>
    public ShardResult Generator(long step, int firstPosition, int rows, FixedPointAccumulator gradients,
        FixedPointAccumulator bufferChanges)
    {
        CheckRows(rows);
        var generatorBuffers = _generator.Store.BufferValues;
        generatorBuffers.CopyTo(_generatorBuffers);
        var fake = Generate(step, firstPosition, rows, GanNoise.GeneratorStream, keepBuffers: true);

        var discriminatorBuffers = _discriminator.Store.BufferValues;
        discriminatorBuffers.CopyTo(_discriminatorBuffers);
        SetGeneratedIds(_discriminatorContext, step, firstPosition, rows);
        var outputGradient = _outputGradient.Span[..rows];
        double loss = _loss.Generator(outputGradient, _discriminator.Forward(_discriminatorContext, fake, rows));
        // The discriminator's parameter gradients of this pass are never used; its input gradient is the generator's output gradient.
        var sampleGradient = _sampleGradient.Span[..(rows * _features)];
        _discriminator.Backward(_discriminatorContext, outputGradient, sampleGradient, rows);
        _discriminatorBuffers.CopyTo(discriminatorBuffers);

        _generator.ZeroGradients();
        _generator.Backward(_generatorContext, sampleGradient, rows);
        gradients.Add(_generator.Store.Gradients);
        if (generatorBuffers.Length > 0)
        {
            StartBufferDelta(generatorBuffers, _generatorBuffers, rows);
            bufferChanges.Add(_bufferDelta.AsSpan(0, generatorBuffers.Length));
        }
        return new ShardResult(loss, 0, rows);
    }

    // Runs the generator in training mode on noise vectors first.. of the step; its buffers are put back unless kept.
    private ReadOnlySpan<float> Generate(long step, int first, int rows, int stream, bool keepBuffers)
    {
        var latent = _latent.Span[..(rows * _noise.Size)];
        _noise.Fill(latent, step, first, rows, stream);
        _generatorContext.Seed = _seed;
        _generatorContext.Step = step;
        for (int i = 0; i < rows; i++)
        {
            _generatorContext.SampleIds[i] = first + i;
        }
        if (keepBuffers)
        {
            return _generator.Forward(_generatorContext, latent, rows);
        }
        var buffers = _generator.Store.BufferValues;
        buffers.CopyTo(_generatorBuffers);
        var samples = _generator.Forward(_generatorContext, latent, rows);
        _generatorBuffers.CopyTo(buffers);
        return samples;
    }

    private void SetGeneratedIds(StepContext context, long step, int first, int rows)
    {
        context.Seed = _seed;
        context.Step = step;
        for (int i = 0; i < rows; i++)
        {
            context.SampleIds[i] = (long)_data.Count + first + i;
        }
    }

    // _bufferDelta <- (buffers − before) · rows, and the buffers put back.
    private void StartBufferDelta(Span<float> buffers, float[] before, int rows)
    {
        for (int i = 0; i < buffers.Length; i++)
        {
            _bufferDelta[i] = (buffers[i] - before[i]) * rows;
        }
        before.AsSpan(0, buffers.Length).CopyTo(buffers);
    }

    // _bufferDelta += (buffers − before) · rows, and the buffers put back.
    private void AddBufferDelta(Span<float> buffers, float[] before, int rows)
    {
        for (int i = 0; i < buffers.Length; i++)
        {
            _bufferDelta[i] += (buffers[i] - before[i]) * rows;
        }
        before.AsSpan(0, buffers.Length).CopyTo(buffers);
    }

    private int CheckRows(int rows)
    {
        if (rows < 1 || rows > MaxShard)
        {
            throw new ArgumentException($"A micro-shard holds 1..{MaxShard} samples; got {rows}.");
        }
        return rows;
    }

    public void Dispose()
    {
        _real.Dispose();
        _latent.Dispose();
        _outputGradient.Dispose();
        _sampleGradient.Dispose();
    }
}
