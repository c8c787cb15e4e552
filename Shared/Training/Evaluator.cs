using DistributedTrainer.Data;
using DistributedTrainer.Numerics;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Losses;

namespace DistributedTrainer.Training;

/// <summary>Loss and accuracy of a model over a data set (or a range of it), in evaluation mode, in chunks.</summary>
public sealed class Evaluator : IDisposable
{
    private readonly Model _model;
    private readonly Loss _loss;
    private readonly int _chunk;
    private readonly int _classes;
    private readonly AlignedBuffer _features;
    private readonly AlignedBuffer _targets;
    private readonly AlignedBuffer _gradient;
    private int[] _labels;
    private readonly int[] _indices;
    private readonly StepContext _context = new() { Training = false };

    /// <param name="chunk">Samples per forward pass; at most the model's maximum batch.</param>
    public Evaluator(Model model, Loss loss, int featureCount, int chunk)
    {
        _model = model;
        _loss = loss;
        _chunk = chunk;
        _classes = model.OutputSize;
        _features = new AlignedBuffer(chunk * featureCount);
        _targets = new AlignedBuffer(chunk * _classes);
        _gradient = new AlignedBuffer(chunk * _classes);
        _labels = new int[chunk];
        _indices = new int[chunk];
        _context.SampleIds = new long[chunk];
    }

    /// <summary>
    /// Sum of losses, correct count and sample count over samples [start, end) of <paramref name="data"/>. With
    /// several targets per sample (TEXT windows) a sample's loss is the mean over its steps and every step's
    /// prediction counts towards the correct count.
    /// </summary>
    public ShardResult Evaluate(Dataset data, int start = 0, int end = -1)
    {
        if (end < 0)
        {
            end = data.Count;
        }
        int steps = data.TargetsPerSample;
        int stepClasses = _classes / steps;
        if (_labels.Length < _chunk * steps)
        {
            _labels = new int[_chunk * steps];
        }
        var total = default(ShardResult);
        for (int first = start; first < end; first += _chunk)
        {
            int rows = Math.Min(_chunk, end - first);
            var indices = _indices.AsSpan(0, rows);
            for (int i = 0; i < rows; i++)
            {
                indices[i] = first + i;
            }
            var features = _features.Span[..(rows * data.FeatureCount)];
            var labels = _labels.AsSpan(0, rows * steps);
            var targets = _targets.Span[..(rows * _classes)];
            bool classIds = data.TargetKind == TargetKind.ClassIds;
            if (classIds)
            {
                data.Gather(features, labels, indices);
                TargetEncoding.Encode(targets, labels, stepClasses);
            }
            else
            {
                data.GatherTargets(features, targets, indices);
            }
            var outputs = _model.Forward(_context, features, rows);
            double loss = TargetEncoding.StepLoss(_loss, _gradient.Span[..(rows * _classes)], outputs, targets, rows, steps, stepClasses);
            int correct = classIds
                ? TargetEncoding.CountCorrect(outputs, labels, stepClasses)
                : TargetEncoding.CountCorrect(outputs, targets, _classes, data.TargetKind);
            total += new ShardResult(loss, correct, rows);
        }
        return total;
    }

    public void Dispose()
    {
        _features.Dispose();
        _targets.Dispose();
        _gradient.Dispose();
    }
}
