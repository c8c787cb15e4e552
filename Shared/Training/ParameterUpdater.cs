using DistributedTrainer.Diagnostics;
using DistributedTrainer.Numerics;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Optimizers;
using DistributedTrainer.Numerics.Regularization;
using DistributedTrainer.Numerics.Schedules;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training;

/// <summary>
/// The central half of a step (the coordinator's in a cluster): averages the summed gradient over the global
/// batch, adds the regularization gradient, refuses a non-finite gradient, clips, and applies the optimizer at
/// the scheduled learning rate to the master parameters.
/// </summary>
public sealed class ParameterUpdater
{
    private readonly ParameterStore _store;
    private readonly Regularizer? _regularizer;
    private readonly ClippingSpec _clipping;
    private readonly float[] _bufferMean;

    public ParameterUpdater(ParameterStore store, Optimizer optimizer, LearningRateSchedule schedule,
        Regularizer? regularizer, ClippingSpec? clipping)
    {
        _store = store;
        Optimizer = optimizer;
        Schedule = schedule;
        _regularizer = regularizer;
        _clipping = clipping ?? new ClippingSpec();
        _bufferMean = new float[store.BufferValues.Length];
    }

    /// <summary>The optimizer, whose state is checkpointed.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The learning-rate schedule, whose state is checkpointed.</summary>
    public LearningRateSchedule Schedule { get; }

    /// <summary>
    /// Applies step <paramref name="step"/>. <paramref name="gradientSum"/> and <paramref name="bufferChanges"/>
    /// are the exact sums over the batch's micro-shards; the store's gradient vector is used as scratch.
    /// </summary>
    public UpdateResult Apply(long step, FixedPointAccumulator gradientSum, FixedPointAccumulator bufferChanges, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        float rate = Schedule.RateAt(step);
        if (!gradientSum.IsFinite || !bufferChanges.IsFinite)
        {
            return UpdateResult.Skipped(rate, gradientSum.IsFinite ? -1 : gradientSum.FirstNonFiniteIndex);
        }
        var gradients = _store.Gradients;
        var clipSpan = TrainingDiagnostics.Source.StartActivity(TrainingSpans.Clip);
        gradientSum.CopyTo(gradients, 1.0 / batchSize);

        double penalty = _regularizer?.AddPenalty(gradients, _store.Values, _store.Parameters) ?? 0.0;
        if (_clipping.ClipValue > 0f)
        {
            GradientClipping.ClipByValue(gradients, _clipping.ClipValue);
        }
        double norm;
        float scale = 1f;
        if (_clipping.MaxGlobalNorm > 0f)
        {
            var clip = GradientClipping.ClipByGlobalNorm(gradients, _clipping.MaxGlobalNorm);
            norm = clip.Norm;
            scale = clip.Scale;
        }
        else
        {
            norm = GradientClipping.GlobalNorm(gradients);
        }
        clipSpan?.Dispose();
        if (!double.IsFinite(norm))
        {
            return UpdateResult.Skipped(rate, -1);
        }

        using (TrainingDiagnostics.Source.StartActivity(TrainingSpans.Optimizer))
        {
            Optimizer.Step(_store.Values, gradients, rate, _store.Parameters);
        }

        if (bufferChanges.Length > 0)
        {
            // Non-trainable state moves by the sample-weighted mean of the micro-shards' changes.
            bufferChanges.CopyTo(_bufferMean, 1.0 / batchSize);
            System.Numerics.Tensors.TensorPrimitives.Add(_store.BufferValues, _bufferMean, _store.BufferValues);
        }
        return new UpdateResult(true, rate, norm, scale, penalty, -1);
    }
}
