using System.Diagnostics;
using DistributedTrainer.Data;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Losses;
using DistributedTrainer.Numerics.Optimizers;
using DistributedTrainer.Numerics.Regularization;
using DistributedTrainer.Numerics.Schedules;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training;

/// <summary>
/// Trains a job in this process: the same micro-shards, exact sums and central update as the cluster, with
/// one gradient engine doing every shard. `trainctl train` runs it; the cluster must match it bit for bit.
/// </summary>
public sealed class SingleProcessTrainer : IDisposable
{
    private const int EvaluationChunk = 512;

    private readonly JobSpec _spec;
    private readonly LoadedData _data;
    private readonly Model _model;
    private readonly Loss _loss;
    private readonly MicroShardRunner _shards;
    private readonly Evaluator _evaluator;
    private readonly ParameterUpdater _updater;
    private readonly EarlyStopping? _earlyStopping;
    private readonly TrainingCheckpoints? _checkpoints;
    private readonly FixedPointAccumulator _gradientSum;
    private readonly FixedPointAccumulator _bufferChanges;
    private readonly int _shardSize;
    private TrainingCursor _cursor = TrainingCursor.Start;

    private SingleProcessTrainer(JobSpec spec, LoadedData data, string? checkpointDirectory, int shardEngines)
    {
        _spec = spec;
        _data = data;
        _shardSize = MicroShards.SizeOf(spec);
        _model = ModelFactory.Build(spec.Model, data.FeatureCount, Math.Max(_shardSize, EvaluationChunk));
        _model.Initialize(spec.Seed);
        _loss = LossFactory.Create(spec.Loss.Kind);
        var optimizer = OptimizerFactory.Create(spec.Optimizer, _model.Store.Count);
        long totalSteps = (long)spec.Epochs * StepsPerEpoch(data.Train.Count, spec.BatchSize);
        var schedule = ScheduleFactory.Create(spec.Schedule, OptimizerFactory.BaseLearningRate(spec.Optimizer), totalSteps);
        _updater = new ParameterUpdater(_model.Store, optimizer, schedule,
            RegularizerFactory.Create(spec.Regularization), spec.Clipping);
        _shards = new MicroShardRunner(spec.Model, _model, _loss, data.Train, spec.Seed, _shardSize, shardEngines);
        _evaluator = new Evaluator(_model, _loss, data.FeatureCount, EvaluationChunk);
        _gradientSum = new FixedPointAccumulator(_model.Store.Count);
        _bufferChanges = new FixedPointAccumulator(_model.Store.BufferValues.Length);
        _earlyStopping = EarlyStopping.Create(spec.EarlyStopping);
        if (checkpointDirectory is not null)
        {
            _checkpoints = new TrainingCheckpoints(checkpointDirectory, spec, _model, _updater, _earlyStopping);
        }
    }

    /// <summary>The model being trained.</summary>
    public Model Model => _model;

    /// <summary>Where the run stands.</summary>
    public TrainingCursor Cursor => _cursor;

    /// <summary>
    /// Builds everything the spec describes over already loaded data. With <paramref name="checkpointDirectory"/>
    /// checkpoints are written there; with <paramref name="resumeFrom"/> the run continues from that checkpoint.
    /// </summary>
    public static SingleProcessTrainer Create(JobSpec spec, LoadedData data, string? checkpointDirectory = null,
        string? resumeFrom = null) => Create(spec, data, checkpointDirectory, resumeFrom, shardEngines: 0);

    /// <summary>
    /// As the public overload, computing micro-shards on at most <paramref name="shardEngines"/> engines side by side
    /// (0: <see cref="Numerics.ComputeThreads.Count"/>; 1: one after another, each GEMM threaded); benchmarks compare both.
    /// </summary>
    internal static SingleProcessTrainer Create(JobSpec spec, LoadedData data, string? checkpointDirectory,
        string? resumeFrom, int shardEngines)
    {
        var trainer = new SingleProcessTrainer(spec, data, checkpointDirectory, shardEngines);
        try
        {
            if (spec.Transfer is { FromCheckpoint.Length: > 0 } transfer)
            {
                TransferLearning.Apply(trainer._model, transfer);
            }
            if (resumeFrom is not null)
            {
                trainer._cursor = TrainingCheckpoints.Restore(resumeFrom, spec, trainer._model, trainer._updater,
                    trainer._earlyStopping);
            }
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    /// <summary>Optimizer steps in one epoch of <paramref name="samples"/> samples (the last batch may be short).</summary>
    public static int StepsPerEpoch(int samples, int batchSize) => (samples + batchSize - 1) / batchSize;

    /// <summary>
    /// Trains until the spec's epochs are done, early stopping ends the run, or <paramref name="cancellation"/>
    /// fires (then the run stops at a step boundary, writes a checkpoint when it can, and throws).
    /// </summary>
    /// <param name="stopAfterSteps">Stop (with a checkpoint) once this many steps are done; for tests and fault drills.</param>
    public TrainingSummary Run(ITrainingObserver observer, long stopAfterSteps = long.MaxValue, CancellationToken cancellation = default)
    {
        var wall = Stopwatch.StartNew();
        double trainingSeconds = 0;
        long trainedSamples = 0;
        bool stoppedEarly = false;
        int trainCount = _data.Train.Count;
        var permutation = new int[trainCount];
        int permutationEpoch = -1;
        if (_cursor.Step > 0)
        {
            observer.OnEvent($"Resumed at step {_cursor.Step}, epoch {_cursor.Epoch + 1}, sample {_cursor.SamplesDone} of {trainCount}.");
        }

        while (_cursor.Epoch < _spec.Epochs && !stoppedEarly)
        {
            var epochWatch = Stopwatch.StartNew();
            if (permutationEpoch != _cursor.Epoch)
            {
                EpochPermutation.Fill(permutation, _spec.Seed, _cursor.Epoch);
                permutationEpoch = _cursor.Epoch;
            }
            var trainWatch = Stopwatch.StartNew();
            while (_cursor.SamplesDone < trainCount)
            {
                if (cancellation.IsCancellationRequested || _cursor.Step >= stopAfterSteps)
                {
                    string? saved = _checkpoints?.Save(_cursor);
                    cancellation.ThrowIfCancellationRequested();
                    return Summary(wall, trainingSeconds + trainWatch.Elapsed.TotalSeconds, trainedSamples, stoppedEarly, saved);
                }
                int batch = Math.Min(_spec.BatchSize, trainCount - _cursor.SamplesDone);
                var step = TrainStep(permutation, _cursor.SamplesDone, batch);
                trainedSamples += batch;
                _cursor = _cursor with
                {
                    Step = _cursor.Step + 1,
                    SamplesDone = _cursor.SamplesDone + batch,
                    EpochLossSum = _cursor.EpochLossSum + step.Result.LossSum,
                    EpochCorrect = _cursor.EpochCorrect + step.Result.Correct,
                };
                if (!step.Update.Applied)
                {
                    observer.OnEvent($"Step {_cursor.Step} skipped: the gradient holds NaN or infinity" +
                        (step.Update.NonFiniteIndex >= 0 ? $" (first at {_model.DescribeParameter(step.Update.NonFiniteIndex)})." : "."));
                }
                observer.OnStep(new StepReport(_cursor.Epoch + 1, _cursor.Step, _cursor.SamplesDone, trainCount,
                    step.Result.LossSum / batch, step.Update));
                if (_checkpoints is not null && _spec.Checkpoint?.EverySteps > 0 && _cursor.Step % _spec.Checkpoint.EverySteps == 0)
                {
                    _checkpoints.Save(_cursor);
                }
            }
            trainingSeconds += trainWatch.Elapsed.TotalSeconds;
            double epochTrainSeconds = trainWatch.Elapsed.TotalSeconds;

            var report = EndEpoch(epochWatch, epochTrainSeconds, trainCount);
            _cursor = new TrainingCursor(_cursor.Step, _cursor.Epoch + 1, 0, 0.0, 0);
            stoppedEarly = ObserveEarlyStopping(report, observer);
            string? checkpoint = _checkpoints?.Save(_cursor);
            observer.OnEpoch(report with { Seconds = epochWatch.Elapsed.TotalSeconds });
            if (checkpoint is not null)
            {
                observer.OnEvent($"Checkpoint written: {checkpoint}");
            }
        }

        if (stoppedEarly)
        {
            _earlyStopping!.RestoreBest(_model.Store.Values, _model.Store.BufferValues);
            observer.OnEvent($"Early stopping: restored the parameters of epoch {_earlyStopping.BestEpoch}.");
        }
        return Summary(wall, trainingSeconds, trainedSamples, stoppedEarly, _checkpoints?.Save(_cursor));
    }

    private TrainingSummary Summary(Stopwatch wall, double trainingSeconds, long trainedSamples, bool stoppedEarly, string? checkpoint)
    {
        var test = _evaluator.Evaluate(_data.Test);
        return new TrainingSummary(_cursor.Epoch, _cursor.Step, (double)test.Correct / test.Samples,
            test.LossSum / test.Samples, trainingSeconds > 0 ? trainedSamples / trainingSeconds : 0.0,
            wall.Elapsed.TotalSeconds, stoppedEarly, checkpoint);
    }

    private (ShardResult Result, UpdateResult Update) TrainStep(int[] permutation, int start, int batch)
    {
        _gradientSum.Clear();
        _bufferChanges.Clear();
        var total = _shards.Compute(_cursor.Step, permutation, start, batch, _gradientSum, _bufferChanges);
        var update = _updater.Apply(_cursor.Step, _gradientSum, _bufferChanges, batch);
        return (total, update);
    }

    private EpochReport EndEpoch(Stopwatch epochWatch, double trainSeconds, int trainCount)
    {
        var validation = _data.Validation is { Count: > 0 } split ? _evaluator.Evaluate(split) : default;
        var test = _evaluator.Evaluate(_data.Test);
        double validationLoss = validation.Samples > 0 ? validation.LossSum / validation.Samples : double.NaN;
        _updater.Schedule.OnEpochEnd(validationLoss);
        return new EpochReport(
            _cursor.Epoch + 1,
            _cursor.Step,
            _cursor.EpochLossSum / trainCount,
            (double)_cursor.EpochCorrect / trainCount,
            validationLoss,
            validation.Samples > 0 ? (double)validation.Correct / validation.Samples : double.NaN,
            test.LossSum / test.Samples,
            (double)test.Correct / test.Samples,
            _updater.Schedule.RateAt(Math.Max(0, _cursor.Step - 1)),
            trainSeconds > 0 ? trainCount / trainSeconds : 0.0,
            epochWatch.Elapsed.TotalSeconds);
    }

    private bool ObserveEarlyStopping(EpochReport report, ITrainingObserver observer)
    {
        if (_earlyStopping is null || double.IsNaN(report.ValidationLoss))
        {
            return false;
        }
        double value = _spec.EarlyStopping.Metric == EarlyStoppingSpec.Types.Metric.ValidationAccuracy
            ? report.ValidationAccuracy
            : report.ValidationLoss;
        _earlyStopping.Observe(report.Epoch, value, _model.Store.Values, _model.Store.BufferValues);
        if (_earlyStopping.ShouldStop)
        {
            observer.OnEvent($"Early stopping after epoch {report.Epoch}: no improvement since epoch {_earlyStopping.BestEpoch}.");
            return true;
        }
        return false;
    }

    public void Dispose()
    {
        _shards.Dispose();
        _evaluator.Dispose();
        _model.Dispose();
    }
}
