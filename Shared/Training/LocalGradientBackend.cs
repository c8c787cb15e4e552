using DistributedTrainer.Data;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Losses;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training;

/// <summary>Computes every micro-shard and evaluation in this process, on the model itself and its replicas.</summary>
public sealed class LocalGradientBackend : IGradientBackend
{
    private readonly LoadedData _data;
    private readonly IShardRunner _shards;
    private readonly Evaluator _evaluator;
    private readonly FixedPointAccumulator _gradientSums;
    private readonly FixedPointAccumulator _bufferChangeSums;

    /// <param name="spec">The job.</param>
    /// <param name="data">Its loaded data.</param>
    /// <param name="model">The model being trained.</param>
    /// <param name="shardEngines">Engines side by side (0: <see cref="Numerics.ComputeThreads.Count"/>).</param>
    /// <param name="runners">Builds the micro-shard runner; default <see cref="ShardRunners.Cpu"/> (the SIMD kernels).</param>
    public LocalGradientBackend(JobSpec spec, LoadedData data, Model model, int shardEngines = 0, ShardRunnerFactory? runners = null)
    {
        _data = data;
        var loss = LossFactory.Create(spec.Loss.Kind);
        _shards = (runners ?? ShardRunners.Cpu)(spec.Model, model, loss, data.Train, spec.Seed, MicroShards.SizeOf(spec), shardEngines);
        _evaluator = new Evaluator(model, loss, data.FeatureCount, Trainer.EvaluationChunk);
        _gradientSums = new FixedPointAccumulator(model.Store.Count);
        _bufferChangeSums = new FixedPointAccumulator(model.Store.BufferValues.Length);
    }

    public ValueTask<ShardResult> ComputeAsync(long step, ReadOnlyMemory<int> batch, StepGradient gradient,
        CancellationToken cancellationToken)
    {
        _gradientSums.Clear();
        _bufferChangeSums.Clear();
        var result = _shards.Compute(step, batch.Span, _gradientSums, _bufferChangeSums);
        gradient.Average(_gradientSums, _bufferChangeSums, batch.Length);
        return ValueTask.FromResult(result);
    }

    public ValueTask<ShardResult> EvaluateAsync(DataSplit split, CancellationToken cancellationToken) =>
        ValueTask.FromResult(split switch
        {
            DataSplit.Validation when _data.Validation is { } validation => _evaluator.Evaluate(validation),
            DataSplit.Validation => default,
            _ => _evaluator.Evaluate(_data.Test),
        });

    public void Dispose()
    {
        _shards.Dispose();
        _evaluator.Dispose();
    }
}
