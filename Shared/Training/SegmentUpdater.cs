using System.Numerics.Tensors;
using DistributedTrainer.Numerics;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Optimizers;
using DistributedTrainer.Numerics.Regularization;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training;

/// <summary>
/// <see cref="ParameterUpdater"/>'s update of one step repeated over one segment of the flat vector "trainable
/// parameters, then buffers": a cluster worker updates the segment it holds after the reduce-scatter with it, instead of
/// receiving the coordinator's new parameters. What needs the whole gradient (the global norm, the finiteness check)
/// stays the coordinator's and comes in as the clip scale and the decision to apply; everything else is element-wise
/// (the regularization gradient, value clipping, the scaling, every optimizer rule, the buffer change), so a partition's
/// segments updated here hold bit for bit what the coordinator's update of the whole vector gives.
/// </summary>
public sealed class SegmentUpdater
{
    // The layout: the trainable tensors (with their frozen flags) and the flat vector's parts.
    private readonly IReadOnlyList<ParameterView> _views;
    private readonly int _trainable;
    private readonly int _flatLength;
    // The segment: its first element in the flat vector and its length.
    private readonly int _start;
    private readonly int _length;
    private readonly Regularizer? _regularizer;
    private readonly float _clipValue;

    /// <summary>
    /// The update of <paramref name="spec"/>'s optimizer, regularization and clipping over elements [<paramref name="start"/>,
    /// start + <paramref name="length"/>) of <paramref name="store"/>'s flat vector; the layout is read now (the store may
    /// go), and the optimizer keeps the state of the segment's trainable parameters only.
    /// </summary>
    public SegmentUpdater(ParameterStore store, JobSpec spec, int start, int length)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(spec);
        _views = store.Parameters;
        _trainable = store.Count;
        _flatLength = store.Count + store.BufferValues.Length;
        if (start < 0 || length < 0 || (long)start + length > _flatLength)
        {
            throw new ArgumentException($"Invalid segment: [{start}, {(long)start + length}) (the flat vector holds {_flatLength})");
        }
        (_start, _length) = (start, length);
        Optimizer = OptimizerFactory.Create(spec.Optimizer, store.Count);
        int trainableStart = Math.Min(start, _trainable);
        Optimizer.KeepStateOf(trainableStart, Math.Min(start + length, _trainable) - trainableStart);
        _regularizer = RegularizerFactory.Create(spec.Regularization);
        _clipValue = spec.Clipping?.ClipValue ?? 0f;
    }

    /// <summary>The job's optimizer, holding the state of the segment's trainable parameters (<see cref="Optimizer.StateStart"/>).</summary>
    public Optimizer Optimizer { get; }

    /// <summary>
    /// Applies one step's update to the segment's elements of <paramref name="parameters"/> from the same elements of
    /// <paramref name="meanGradient"/> (the batch mean, used as scratch).
    /// </summary>
    /// <param name="parameters">The flat vector "trainable parameters, then buffers"; only the segment is read and written.</param>
    /// <param name="meanGradient">The flat vector "mean gradient, then mean buffer change"; only the segment is read (and overwritten).</param>
    /// <param name="learningRate">The step's scheduled rate.</param>
    /// <param name="clipScale">The global-norm clipping factor the coordinator found (1: not clipped).</param>
    /// <param name="optimizerStep">The optimizer's update count after this update.</param>
    public void Apply(Span<float> parameters, Span<float> meanGradient, float learningRate, float clipScale, long optimizerStep)
    {
        int flat = _flatLength;
        if (parameters.Length != flat || meanGradient.Length != flat)
        {
            throw new ArgumentException($"Invalid vectors: {parameters.Length} parameters and {meanGradient.Length} gradients (the model's flat vectors hold {flat})");
        }
        var (start, length) = (_start, _length);
        int count = _trainable;
        int trainableEnd = Math.Min(start + length, count);
        if (start < trainableEnd)
        {
            // ParameterUpdater.Apply's order: penalty gradient, value clipping, the global-norm scale, the optimizer.
            var values = parameters[start..trainableEnd];
            var gradient = meanGradient[start..trainableEnd];
            _regularizer?.AddPenaltyGradient(gradient, values, start, _views);
            if (_clipValue > 0f)
            {
                GradientClipping.ClipByValue(gradient, _clipValue);
            }
            if (clipScale != 1f)
            {
                TensorPrimitives.Multiply(gradient, clipScale, gradient);
            }
            Optimizer.StepSegment(values, gradient, start, optimizerStep, learningRate, _views);
        }
        int bufferStart = Math.Max(start, count);
        int end = start + length;
        if (bufferStart < end)
        {
            TensorPrimitives.Add(parameters[bufferStart..end], meanGradient[bufferStart..end], parameters[bufferStart..end]);
        }
    }
}
