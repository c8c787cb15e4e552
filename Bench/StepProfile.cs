using System.Diagnostics;
using DistributedTrainer.Data;
using DistributedTrainer.Numerics;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Losses;
using DistributedTrainer.Numerics.Optimizers;
using DistributedTrainer.Numerics.Regularization;
using DistributedTrainer.Numerics.Schedules;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;

namespace DistributedTrainer.Bench;

/// <summary>
/// Where one training step's time goes: the steps of <see cref="GradientEngine.Compute"/> and
/// <see cref="ParameterUpdater.Apply"/> replayed phase by phase with a timestamp between phases, the layers of
/// the model called one at a time. Timing each phase adds a few stopwatch reads per micro-shard, so the total
/// is a little above an untimed step; the shares are what matter.
/// </summary>
internal sealed class StepProfile : IDisposable
{
    private readonly JobSpec _spec;
    private readonly Dataset _train;
    private readonly Dataset _test;
    private readonly Model _model;
    private readonly Loss _loss;
    private readonly ParameterUpdater _updater;
    private readonly FixedPointAccumulator _gradientSum;
    private readonly FixedPointAccumulator _bufferChanges;
    private readonly StepGradient _mean;
    private readonly Evaluator _evaluator;
    private readonly Layer[] _layers;
    private readonly AlignedBuffer[] _activations;
    private readonly AlignedBuffer[] _gradients;
    private readonly AlignedBuffer _features;
    private readonly AlignedBuffer _targets;
    private readonly AlignedBuffer _outputGradient;
    private readonly int[] _labels;
    private readonly StepContext _context = new() { Training = true };
    private readonly int _shardSize;
    private readonly List<string> _names = [];
    private readonly Dictionary<string, long> _ticks = new(StringComparer.Ordinal);
    private readonly string[] _forwardNames;
    private readonly string[] _backwardNames;

    public StepProfile(JobSpec spec, LoadedData data, int shardSize)
    {
        _spec = spec;
        _train = data.Train;
        _test = data.Test;
        _shardSize = shardSize;
        _model = ModelFactory.Build(spec.Model, data.FeatureCount, Math.Max(shardSize, 512));
        _model.Initialize(spec.Seed);
        _loss = LossFactory.Create(spec.Loss.Kind);
        var optimizer = OptimizerFactory.Create(spec.Optimizer, _model.Store.Count);
        var schedule = ScheduleFactory.Create(spec.Schedule, OptimizerFactory.BaseLearningRate(spec.Optimizer), 1_000_000);
        _updater = new ParameterUpdater(_model.Store, optimizer, schedule, RegularizerFactory.Create(spec.Regularization),
            spec.Clipping);
        _gradientSum = new FixedPointAccumulator(_model.Store.Count);
        _bufferChanges = new FixedPointAccumulator(_model.Store.BufferValues.Length);
        _mean = new StepGradient(_model.Store.Count, _model.Store.BufferValues.Length);
        _evaluator = new Evaluator(_model, _loss, data.FeatureCount, 512);
        // The reference MLP is a flat chain, so its pre-order layers are the chain itself.
        _layers = [.. _model.Layers];
        _forwardNames = [.. _layers.Select(layer => "forward " + Describe(layer))];
        _backwardNames = [.. _layers.Select(layer => "backward " + Describe(layer))];
        _activations = [.. _layers.Select(layer => new AlignedBuffer(shardSize * layer.OutputSize))];
        _gradients = [.. _layers.Select(layer => new AlignedBuffer(shardSize * Math.Max(layer.InputSize, layer.OutputSize)))];
        _features = new AlignedBuffer(shardSize * data.FeatureCount);
        _targets = new AlignedBuffer(shardSize * _model.OutputSize);
        _outputGradient = new AlignedBuffer(shardSize * _model.OutputSize);
        _labels = new int[shardSize];
        _context.SampleIds = new long[shardSize];
        _context.Seed = spec.Seed;
    }

    /// <summary>Runs <paramref name="steps"/> steps of <paramref name="batch"/> samples and prints the table.</summary>
    public void Run(int batch, int steps, TextWriter output)
    {
        var permutation = new int[_train.Count];
        EpochPermutation.Fill(permutation, _spec.Seed, 0);
        // Warm up for a second, so tiered compilation has replaced every hot method by its optimized code.
        var warmup = Stopwatch.StartNew();
        int step = 0;
        for (; warmup.Elapsed.TotalSeconds < 1.0; step++)
        {
            Step(step, permutation.AsSpan((step * batch) % (_train.Count - batch), batch));
        }
        _names.Clear();
        _ticks.Clear();
        for (int end = step + steps; step < end; step++)
        {
            Step(step, permutation.AsSpan((step * batch) % (_train.Count - batch), batch));
        }
        long evaluationStart = Stopwatch.GetTimestamp();
        _evaluator.Evaluate(_test);
        double evaluationMs = Stopwatch.GetElapsedTime(evaluationStart).TotalMilliseconds;

        double total = _ticks.Values.Sum();
        output.WriteLine($"Micro-shard size {_shardSize}, batch {batch}, {ComputeThreads.Count} kernel threads, {steps} steps " +
            $"(after 1 s of warm-up): {Ms(total / steps):0.00} ms per step, {batch / (Ms(total / steps) / 1000):0} samples/s.");
        output.WriteLine();
        output.WriteLine("| Phase | ms per step | Share |");
        output.WriteLine("|---|---:|---:|");
        foreach (string name in _names)
        {
            output.WriteLine($"| {name} | {Ms(_ticks[name] / steps):0.000} | {_ticks[name] / total:P1} |");
        }
        output.WriteLine();
        output.WriteLine($"Evaluation of the {_test.Count} test samples (once per epoch, chunks of 512): {evaluationMs:0.0} ms.");
    }

    private static double Ms(double ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private void Step(long step, ReadOnlySpan<int> batch)
    {
        long t = Stopwatch.GetTimestamp();
        _gradientSum.Clear();
        _bufferChanges.Clear();
        t = Mark("clear sums", t);
        int shards = MicroShards.Count(batch.Length, _shardSize);
        int classes = _model.OutputSize;
        for (int shard = 0; shard < shards; shard++)
        {
            var ids = MicroShards.Slice(batch, shard, _shardSize);
            int rows = ids.Length;
            var features = _features.Span[..(rows * _train.FeatureCount)];
            var labels = _labels.AsSpan(0, rows);
            _train.Gather(features, labels, ids);
            var targets = _targets.Span[..(rows * classes)];
            TargetEncoding.Encode(targets, labels, classes);
            for (int i = 0; i < rows; i++)
            {
                _context.SampleIds[i] = ids[i];
            }
            _context.Step = step;
            t = Mark("gather + encode", t);

            ReadOnlySpan<float> input = features;
            for (int i = 0; i < _layers.Length; i++)
            {
                var layerOutput = _activations[i].Span[..(rows * _layers[i].OutputSize)];
                _layers[i].Forward(_context, input, layerOutput, rows);
                input = layerOutput;
                t = Mark(_forwardNames[i], t);
            }
            var outputGradient = _outputGradient.Span[..(rows * classes)];
            _loss.Compute(outputGradient, input, targets, rows, classes);
            TargetEncoding.CountCorrect(input, labels, classes);
            t = Mark("loss + accuracy", t);

            _model.ZeroGradients();
            t = Mark("zero gradients", t);
            ReadOnlySpan<float> gradient = outputGradient;
            for (int i = _layers.Length - 1; i >= 0; i--)
            {
                ReadOnlySpan<float> layerInput = i == 0 ? features : _activations[i - 1].Span[..(rows * _layers[i].InputSize)];
                Span<float> inputGradient = i == 0 ? [] : _gradients[i].Span[..(rows * _layers[i].InputSize)];
                _layers[i].Backward(_context, layerInput, _activations[i].Span[..(rows * _layers[i].OutputSize)], gradient,
                    inputGradient, rows);
                gradient = inputGradient;
                t = Mark(_backwardNames[i], t);
            }
            _gradientSum.Add(_model.Store.Gradients);
            t = Mark("fixed-point add", t);
        }
        _mean.Average(_gradientSum, _bufferChanges, batch.Length);
        _updater.Apply(step, _mean);
        Mark("update (mean, norm, Adam)", t);
    }

    private static string Describe(Layer layer) => layer switch
    {
        Dense dense => $"{dense.Name} dense {dense.InputSize}->{dense.OutputSize}",
        _ => $"{layer.GetType().Name.ToLowerInvariant()} {layer.InputSize}",
    };

    private long Mark(string phase, long since)
    {
        long now = Stopwatch.GetTimestamp();
        if (!_ticks.TryGetValue(phase, out long ticks))
        {
            _names.Add(phase);
        }
        _ticks[phase] = ticks + (now - since);
        return now;
    }

    public void Dispose()
    {
        foreach (var buffer in _activations.Concat(_gradients))
        {
            buffer.Dispose();
        }
        _features.Dispose();
        _targets.Dispose();
        _outputGradient.Dispose();
        _evaluator.Dispose();
        _model.Dispose();
    }
}
