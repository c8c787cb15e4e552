using System.Numerics.Tensors;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Numerics;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Optimizers;
using DistributedTrainer.Numerics.Regularization;
using DistributedTrainer.Numerics.Schedules;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training;

/// <summary>
/// The central half of a step (the coordinator's in a cluster): takes the batch's mean gradient (a
/// <see cref="StepGradient"/>, averaged from the exact sums by the backend or by the workers), refuses a non-finite one,
/// adds the regularization gradient, clips, and applies the optimizer at the scheduled learning rate to the master
/// parameters, and the mean buffer change to the buffers.
/// </summary>
public sealed class ParameterUpdater
{
    private readonly ParameterStore _store;
    private readonly Regularizer? _regularizer;
    private readonly ClippingSpec _clipping;
    private readonly float[] _valuesBefore;

    public ParameterUpdater(ParameterStore store, Optimizer optimizer, LearningRateSchedule schedule,
        Regularizer? regularizer, ClippingSpec? clipping)
    {
        _store = store;
        Optimizer = optimizer;
        Schedule = schedule;
        _regularizer = regularizer;
        _clipping = clipping ?? new ClippingSpec();
        _valuesBefore = new float[store.Count];
    }

    /// <summary>
    /// Every this many steps (and the first) the result carries <see cref="UpdateResult.Health"/>; 0 never.
    /// The measure costs two passes over the parameters, so it is sampled, not taken every step.
    /// </summary>
    public int HealthInterval { get; init; } = 50;

    /// <summary>The optimizer, whose state is checkpointed.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The learning-rate schedule, whose state is checkpointed.</summary>
    public LearningRateSchedule Schedule { get; }

    /// <summary>
    /// Applies step <paramref name="step"/> with <paramref name="gradient"/>, the batch mean of the exact sums over the
    /// batch's micro-shards; its gradient vector is used as scratch (the penalty is added and clipping scales it).
    /// </summary>
    public UpdateResult Apply(long step, StepGradient gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        if (gradient.Gradient.Length != _store.Count || gradient.BufferChange.Length != _store.BufferValues.Length)
        {
            throw new ArgumentException(
                $"The step's gradient holds {gradient.Gradient.Length} + {gradient.BufferChange.Length} elements; the model has {_store.Count} + {_store.BufferValues.Length}.",
                nameof(gradient));
        }
        float rate = Schedule.RateAt(step);
        if (!gradient.IsFinite)
        {
            long index = gradient.FirstNonFiniteIndex;
            return UpdateResult.Skipped(rate, index < _store.Count ? (int)index : -1);
        }
        var gradients = gradient.Gradient.AsSpan();
        var clipSpan = TrainingDiagnostics.Source.StartActivity(TrainingSpans.Clip);

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

        TensorHealth[]? health = HealthInterval > 0 && step % HealthInterval == 0 ? MeasureGradients(gradients, scale) : null;
        using (TrainingDiagnostics.Source.StartActivity(TrainingSpans.Optimizer))
        {
            Optimizer.Step(_store.Values, gradients, rate, _store.Parameters);
        }
        if (health is not null)
        {
            MeasureUpdates(health);
        }

        if (gradient.BufferChange.Length > 0)
        {
            // Non-trainable state moves by the sample-weighted mean of the micro-shards' changes.
            TensorPrimitives.Add(_store.BufferValues, gradient.BufferChange, _store.BufferValues);
        }
        return new UpdateResult(true, rate, norm, scale, penalty, -1) { Health = health };
    }

    // Before the optimizer (which may fold weight decay into the gradient): each tensor's gradient norm as the
    // workers sent it, averaged, after value clipping; the global clip scale divides back out. Keeps the old values.
    private TensorHealth[] MeasureGradients(ReadOnlySpan<float> gradients, float clipScale)
    {
        _store.Values.CopyTo(_valuesBefore);
        var health = new TensorHealth[_store.Parameters.Count];
        for (int i = 0; i < health.Length; i++)
        {
            var view = _store.Parameters[i];
            double norm = TensorPrimitives.Norm(gradients.Slice(view.Offset, view.Length)) / (clipScale > 0f ? clipScale : 1f);
            health[i] = new TensorHealth(view.Name, norm, 0);
        }
        return health;
    }

    private void MeasureUpdates(TensorHealth[] health)
    {
        for (int i = 0; i < health.Length; i++)
        {
            var view = _store.Parameters[i];
            var before = _valuesBefore.AsSpan(view.Offset, view.Length);
            var after = _store.ValuesOf(view);
            double updateNorm = TensorPrimitives.Distance(after, before);
            // The larger of the two norms keeps a tensor that starts at zero (a bias) finite: its first update is all of it.
            double scale = Math.Max(TensorPrimitives.Norm(before), TensorPrimitives.Norm(after));
            double ratio = updateNorm == 0 ? 0 : updateNorm / scale;
            health[i] = health[i] with { UpdateRatio = ratio };
        }
    }
}
