using DistributedTrainer.Data;
using DistributedTrainer.Numerics;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Losses;

namespace DistributedTrainer.Training;

/// <summary>
/// Computes what one micro-shard contributes to a step: the gradient sum of its samples, the change it makes
/// to non-trainable state (BatchNorm running statistics) weighted by its sample count, its loss sum and its
/// correct count. Both vectors go into exact fixed-point sums, so a step's result does not depend on how its
/// micro-shards were spread over workers. This is the worker's half of a step.
/// </summary>
public sealed class GradientEngine : IDisposable
{
    private readonly Model _model;
    private readonly Loss _loss;
    private readonly Dataset _data;
    private readonly ulong _seed;
    private readonly int _classes;
    // Targets per sample (the window of a TEXT data set, else 1) and classes per target.
    private readonly int _steps;
    private readonly int _stepClasses;
    private readonly AlignedBuffer _features;
    private readonly AlignedBuffer _targets;
    private readonly AlignedBuffer _outputGradient;
    private readonly int[] _labels;
    private readonly float[] _buffersBefore;
    private readonly float[] _bufferDelta;
    private readonly StepContext _context = new() { Training = true };

    /// <param name="model">The model; its parameters are read, its gradients overwritten.</param>
    /// <param name="loss">The loss over the model's outputs.</param>
    /// <param name="data">The training split; micro-shards name its sample indices.</param>
    /// <param name="seed">The job's seed, a key of dropout masks.</param>
    /// <param name="maxShard">Largest micro-shard.</param>
    public GradientEngine(Model model, Loss loss, Dataset data, ulong seed, int maxShard)
    {
        _model = model;
        _loss = loss;
        _data = data;
        _seed = seed;
        _classes = model.OutputSize;
        _steps = data.TargetsPerSample;
        _stepClasses = _classes / _steps;
        _features = new AlignedBuffer(maxShard * data.FeatureCount);
        _targets = new AlignedBuffer(maxShard * _classes);
        _outputGradient = new AlignedBuffer(maxShard * _classes);
        _labels = new int[maxShard * _steps];
        _buffersBefore = new float[model.Store.BufferValues.Length];
        _bufferDelta = new float[_buffersBefore.Length];
        MaxShard = maxShard;
        // Rows past the shard's length are never read: layers index SampleIds by row.
        _context.SampleIds = new long[maxShard];
    }

    /// <summary>Largest micro-shard this engine accepts.</summary>
    public int MaxShard { get; }

    /// <summary>
    /// Forward and backward over the samples of one micro-shard at optimizer step <paramref name="step"/>;
    /// adds the gradient sum into <paramref name="gradients"/> and the sample-weighted state change into
    /// <paramref name="bufferChanges"/>. <paramref name="parameterVersion"/> is <see cref="StepContext.ParameterVersion"/>:
    /// shards computed with one nonzero version promise the same parameters (0 promises nothing).
    /// </summary>
    public ShardResult Compute(long step, ReadOnlySpan<int> sampleIds, FixedPointAccumulator gradients,
        FixedPointAccumulator bufferChanges, long parameterVersion = 0)
    {
        int rows = sampleIds.Length;
        if (rows == 0 || rows > MaxShard)
        {
            throw new ArgumentException($"A micro-shard holds 1..{MaxShard} samples; got {rows}.");
        }
        var features = _features.Span[..(rows * _data.FeatureCount)];
        var labels = _labels.AsSpan(0, rows * _steps);
        var targets = _targets.Span[..(rows * _classes)];
        bool classIds = _data.TargetKind == TargetKind.ClassIds;
        if (classIds)
        {
            _data.Gather(features, labels, sampleIds);
            TargetEncoding.Encode(targets, labels, _stepClasses);
        }
        else
        {
            _data.GatherTargets(features, targets, sampleIds);
        }

        PrepareContext(step, sampleIds, parameterVersion);
        var buffers = _model.Store.BufferValues;
        buffers.CopyTo(_buffersBefore);

        var outputs = _model.Forward(_context, features, rows);
        var outputGradient = _outputGradient.Span[..(rows * _classes)];
        double lossSum = TargetEncoding.StepLoss(_loss, outputGradient, outputs, targets, rows, _steps, _stepClasses);
        int correct = classIds
            ? TargetEncoding.CountCorrect(outputs, labels, _stepClasses)
            : TargetEncoding.CountCorrect(outputs, targets, _classes, _data.TargetKind);

        _model.ZeroGradients();
        _model.Backward(_context, outputGradient, rows);
        gradients.Add(_model.Store.Gradients);

        if (buffers.Length > 0)
        {
            // The state change of this shard, weighted by its size; the caller divides by the batch size.
            for (int i = 0; i < buffers.Length; i++)
            {
                _bufferDelta[i] = (buffers[i] - _buffersBefore[i]) * rows;
            }
            bufferChanges.Add(_bufferDelta);
            _buffersBefore.CopyTo(buffers);
        }
        return new ShardResult(lossSum, correct, rows);
    }

    private void PrepareContext(long step, ReadOnlySpan<int> sampleIds, long parameterVersion)
    {
        for (int i = 0; i < sampleIds.Length; i++)
        {
            _context.SampleIds[i] = sampleIds[i];
        }
        _context.Seed = _seed;
        _context.Step = step;
        _context.ParameterVersion = parameterVersion;
    }

    public void Dispose()
    {
        _features.Dispose();
        _targets.Dispose();
        _outputGradient.Dispose();
    }
}

