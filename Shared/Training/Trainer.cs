using System.Diagnostics;
using DistributedTrainer.Data;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Optimizers;
using DistributedTrainer.Numerics.Regularization;
using DistributedTrainer.Numerics.Schedules;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training;

/// <summary>
/// Runs a job's training loop: the data cursor, the central update, evaluation, early stopping and checkpoints.
/// Micro-shards are computed by an <see cref="IGradientBackend"/>: in this process for `trainctl train`, on the
/// workers for a cluster job (the coordinator's job grain). The backend's sums are exact, so every backend gives
/// bitwise the same parameters.
/// </summary>
public sealed class Trainer : IDisposable
{
    /// <summary>Samples per evaluation forward pass; evaluation results are summed over chunks of this size in order.</summary>
    public const int EvaluationChunk = 512;

    private readonly JobSpec _spec;
    private readonly LoadedData _data;
    private readonly Model _model;
    private readonly IGradientBackend _backend;
    // The span of a step that the backend started early (StepPlan.StartFollowingSpan), with that step's number.
    private (long Step, Activity? Span) _aheadSpan;
    private readonly ParameterUpdater _updater;
    private readonly EarlyStopping? _earlyStopping;
    private readonly TrainingCheckpoints? _checkpoints;
    private readonly StepGradient _gradient;
    private TrainingCursor _cursor = TrainingCursor.Start;

    private Trainer(JobSpec spec, LoadedData data, string? checkpointDirectory, Func<Model, IGradientBackend> backend)
    {
        _spec = spec;
        _data = data;
        _model = ModelFactory.Build(spec.Model, data.FeatureCount, Math.Max(MicroShards.SizeOf(spec), EvaluationChunk));
        _model.Initialize(spec.Seed);
        var optimizer = OptimizerFactory.Create(spec.Optimizer, _model.Store.Count);
        long totalSteps = (long)spec.Epochs * StepsPerEpoch(data.Train.Count, spec.BatchSize);
        var schedule = ScheduleFactory.Create(spec.Schedule, OptimizerFactory.BaseLearningRate(spec.Optimizer), totalSteps);
        _updater = new ParameterUpdater(_model.Store, optimizer, schedule,
            RegularizerFactory.Create(spec.Regularization), spec.Clipping);
        _gradient = new StepGradient(_model.Store.Count, _model.Store.BufferValues.Length);
        _earlyStopping = EarlyStopping.Create(spec.EarlyStopping);
        if (checkpointDirectory is not null)
        {
            _checkpoints = new TrainingCheckpoints(checkpointDirectory, spec, _model, _updater, _earlyStopping)
            {
                Vocabulary = data.Vocabulary,
            };
        }
        try
        {
            _backend = backend(_model);
            _backend.UseOptimizer(optimizer);
        }
        catch
        {
            _model.Dispose();
            throw;
        }
    }

    /// <summary>The name of the run in traces and metrics (<c>job.id</c>); the spec's name unless set, e.g. to a job id.</summary>
    public string JobId { get; set; } = "";

    /// <summary>The model being trained.</summary>
    public Model Model => _model;

    /// <summary>Where the run stands.</summary>
    public TrainingCursor Cursor => _cursor;

    /// <summary>
    /// Builds everything the spec describes over already loaded data, computing in this process. With
    /// <paramref name="checkpointDirectory"/> checkpoints are written there; with <paramref name="resumeFrom"/> the
    /// run continues from that checkpoint.
    /// </summary>
    public static Trainer Create(JobSpec spec, LoadedData data, string? checkpointDirectory = null,
        string? resumeFrom = null) => Create(spec, data, checkpointDirectory, resumeFrom, shardEngines: 0);

    /// <summary>
    /// As the public overload, computing micro-shards on at most <paramref name="shardEngines"/> engines side by side
    /// (0: <see cref="Numerics.ComputeThreads.Count"/>; 1: one after another, each GEMM threaded); benchmarks compare both.
    /// </summary>
    internal static Trainer Create(JobSpec spec, LoadedData data, string? checkpointDirectory,
        string? resumeFrom, int shardEngines) =>
        Create(spec, data, model => new LocalGradientBackend(spec, data, model, shardEngines), checkpointDirectory, resumeFrom);

    /// <summary>
    /// Builds a run whose micro-shards and evaluations <paramref name="backend"/> computes; it gets the model (with
    /// its initial parameters) and is disposed with the trainer. <paramref name="data"/> gives the split sizes; only
    /// a local backend reads its samples.
    /// </summary>
    public static Trainer Create(JobSpec spec, LoadedData data, Func<Model, IGradientBackend> backend,
        string? checkpointDirectory = null, string? resumeFrom = null)
    {
        var trainer = new Trainer(spec, data, checkpointDirectory, backend);
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
    public TrainingSummary Run(ITrainingObserver observer, long stopAfterSteps = long.MaxValue, CancellationToken cancellation = default) =>
        RunAsync(observer, stopAfterSteps, cancellation).AsTask().GetAwaiter().GetResult();

    /// <summary>As <see cref="Run"/>, for backends that wait on workers.</summary>
    public async ValueTask<TrainingSummary> RunAsync(ITrainingObserver observer, long stopAfterSteps = long.MaxValue,
        CancellationToken cancellation = default)
    {
        var wall = Stopwatch.StartNew();
        double trainingSeconds = 0;
        long trainedSamples = 0;
        bool stoppedEarly = false;
        int trainCount = _data.Train.Count;
        var permutation = new int[trainCount];
        int permutationEpoch = -1;
        // The next epoch's permutation, drawn near this epoch's end so that its first batch can be read ahead too.
        int[]? nextPermutation = null;
        int nextPermutationEpoch = -1;
        ReadOnlyMemory<int> NextEpochFirstBatch()
        {
            nextPermutation ??= new int[trainCount];
            if (nextPermutationEpoch != _cursor.Epoch + 1)
            {
                EpochPermutation.Fill(nextPermutation, _spec.Seed, _cursor.Epoch + 1);
                nextPermutationEpoch = _cursor.Epoch + 1;
            }
            return nextPermutation.AsMemory(0, Math.Min(_spec.BatchSize, trainCount));
        }
        if (_cursor.Step > 0)
        {
            observer.OnEvent($"Resumed at step {_cursor.Step}, epoch {_cursor.Epoch + 1}, sample {_cursor.SamplesDone} of {trainCount}.");
        }

        while (_cursor.Epoch < _spec.Epochs && !stoppedEarly)
        {
            var epochWatch = Stopwatch.StartNew();
            if (nextPermutationEpoch == _cursor.Epoch)
            {
                (permutation, nextPermutation) = (nextPermutation!, permutation);
                (permutationEpoch, nextPermutationEpoch) = (_cursor.Epoch, permutationEpoch);
            }
            else if (permutationEpoch != _cursor.Epoch)
            {
                EpochPermutation.Fill(permutation, _spec.Seed, _cursor.Epoch);
                permutationEpoch = _cursor.Epoch;
            }
            var trainWatch = Stopwatch.StartNew();
            while (_cursor.SamplesDone < trainCount)
            {
                if (cancellation.IsCancellationRequested || _cursor.Step >= stopAfterSteps)
                {
                    string? saved = SaveCheckpoint();
                    cancellation.ThrowIfCancellationRequested();
                    return await SummaryAsync(wall, trainingSeconds + trainWatch.Elapsed.TotalSeconds, trainedSamples, stoppedEarly, saved, cancellation);
                }
                int batch = Math.Min(_spec.BatchSize, trainCount - _cursor.SamplesDone);
                // The next batch, for workers to read ahead: later in this epoch, or at its last step the first of the
                // next epoch (whose permutation is then drawn now; a pure function of seed and epoch, so nothing changes).
                int nextStart = _cursor.SamplesDone + batch;
                bool another = _cursor.Step + 1 < stopAfterSteps;
                var upcoming = ReadOnlyMemory<int>.Empty;
                if (another && nextStart < trainCount)
                {
                    upcoming = permutation.AsMemory(nextStart, Math.Min(_spec.BatchSize, trainCount - nextStart));
                }
                else if (another && _cursor.Epoch + 1 < _spec.Epochs)
                {
                    upcoming = NextEpochFirstBatch();
                }
                _backend.Upcoming(upcoming);
                // The step after this one follows its update at once when it is in this epoch; the batch after that is
                // only for reading ahead.
                bool follows = another && nextStart < trainCount;
                var afterFollowing = ReadOnlyMemory<int>.Empty;
                int afterStart = nextStart + upcoming.Length;
                if (follows && _cursor.Step + 2 < stopAfterSteps)
                {
                    afterFollowing = afterStart < trainCount
                        ? permutation.AsMemory(afterStart, Math.Min(_spec.BatchSize, trainCount - afterStart))
                        : _cursor.Epoch + 1 < _spec.Epochs ? NextEpochFirstBatch() : ReadOnlyMemory<int>.Empty;
                }
                (long Step, int Epoch) following = (_cursor.Step + 2, _cursor.Epoch + 1);
                _backend.Plan(new StepPlan(_updater.Schedule.RateAt(_cursor.Step), follows ? upcoming : ReadOnlyMemory<int>.Empty, afterFollowing,
                    () => (_aheadSpan = (following.Step, TrainingDiagnostics.StartStepAhead(RunName, following.Step, following.Epoch))).Span));
                (ShardResult Result, UpdateResult Update) step;
                // One trace per step: the backend's calls to workers made inside it carry its context. A backend that
                // started this step while the last one was finishing began its span then.
                var aheadSpan = _aheadSpan.Step == _cursor.Step + 1 ? _aheadSpan.Span : null;
                _aheadSpan = default;
                if (aheadSpan is not null)
                {
                    Activity.Current = aheadSpan;
                }
                using var stepSpan = aheadSpan ?? TrainingDiagnostics.StartStep(RunName, _cursor.Step + 1, _cursor.Epoch + 1);
                try
                {
                    step = await TrainStepAsync(permutation.AsMemory(_cursor.SamplesDone, batch), cancellation);
                }
                catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
                {
                    // A step stopped half way changed nothing, so the checkpoint holds the state before it.
                    SaveCheckpoint();
                    throw;
                }
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
                var stepReport = new StepReport(_cursor.Epoch + 1, _cursor.Step, _cursor.SamplesDone, trainCount,
                    step.Result.LossSum / batch, step.Update);
                MetricsRecorder.OnStep(RunName, stepReport);
                observer.OnStep(stepReport);
                if (_checkpoints is not null && _spec.Checkpoint?.EverySteps > 0 && _cursor.Step % _spec.Checkpoint.EverySteps == 0)
                {
                    SaveCheckpoint();
                }
            }
            trainingSeconds += trainWatch.Elapsed.TotalSeconds;
            double epochTrainSeconds = trainWatch.Elapsed.TotalSeconds;

            EpochReport report;
            try
            {
                report = await EndEpochAsync(epochWatch, epochTrainSeconds, trainCount, cancellation);
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                // Stopped in the epoch's evaluation, which changes nothing: the checkpoint holds the epoch's steps, and a
                // resume evaluates the epoch again. Without it a stop here lost every step since the last checkpoint.
                SaveCheckpoint();
                throw;
            }
            _cursor = new TrainingCursor(_cursor.Step, _cursor.Epoch + 1, 0, 0.0, 0);
            stoppedEarly = ObserveEarlyStopping(report, observer);
            string? checkpoint = SaveCheckpoint();
            report = report with { Seconds = epochWatch.Elapsed.TotalSeconds };
            MetricsRecorder.OnEpoch(RunName, report);
            observer.OnEpoch(report);
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
        return await SummaryAsync(wall, trainingSeconds, trainedSamples, stoppedEarly, SaveCheckpoint(), cancellation);
    }

    private string RunName => JobId.Length > 0 ? JobId : _spec.Name;

    private string? SaveCheckpoint()
    {
        if (_checkpoints is null)
        {
            return null;
        }
        using var span = TrainingDiagnostics.Source.StartActivity(TrainingSpans.CheckpointWrite);
        span?.SetTag(TrainingAttributes.Step, _cursor.Step);
        return _checkpoints.Save(_cursor);
    }

    private async ValueTask<TrainingSummary> SummaryAsync(Stopwatch wall, double trainingSeconds, long trainedSamples,
        bool stoppedEarly, string? checkpoint, CancellationToken cancellation)
    {
        var test = await _backend.EvaluateAsync(DataSplit.Test, cancellation);
        return new TrainingSummary(_cursor.Epoch, _cursor.Step, TestAccuracy(test), TestLoss(test), trainingSeconds > 0 ? trainedSamples / trainingSeconds : 0.0,
            wall.Elapsed.TotalSeconds, stoppedEarly, checkpoint)
        {
            TestBitsPerCharacter = BitsPerCharacter(test),
        };
    }

    // Correct predictions over targets: one per sample, or one per time step of a TEXT window.
    private double Accuracy(long correct, long samples) => (double)correct / (samples * _data.TargetsPerSample);

    // Over the scored targets only: a TEXT test set's context steps are read, not scored (dataset.test_context).
    private double TestAccuracy(ShardResult test) => (double)test.Correct / _data.ScoredTestTargets;

    // A sample's loss is the mean over its steps, unscored ones counting zero, so the sum over the scored steps is
    // LossSum x steps; the mean per scored target is that over their count (LossSum / Samples without context).
    private double TestLoss(ShardResult test) => test.LossSum * _data.TargetsPerSample / _data.ScoredTestTargets;

    // A TEXT model's test loss is the mean cross-entropy per character in nats; NaN for other data.
    private double BitsPerCharacter(ShardResult test) =>
        _data.Vocabulary is null || test.Samples == 0 ? double.NaN : TestLoss(test) / Math.Log(2);

    private async ValueTask<(ShardResult Result, UpdateResult Update)> TrainStepAsync(ReadOnlyMemory<int> batch,
        CancellationToken cancellation)
    {
        _gradient.Reset();
        long start = Stopwatch.GetTimestamp();
        var total = await _backend.ComputeAsync(_cursor.Step, batch, _gradient, cancellation);
        long computed = Stopwatch.GetTimestamp();
        var update = _updater.Apply(_cursor.Step, _gradient);
        _backend.Updated(_cursor.Step, update);
        TrainingMetrics.RecordPhase(RunName, "compute", Stopwatch.GetElapsedTime(start, computed));
        TrainingMetrics.RecordPhase(RunName, "update", Stopwatch.GetElapsedTime(computed));
        return (total, update);
    }

    private async ValueTask<EpochReport> EndEpochAsync(Stopwatch epochWatch, double trainSeconds, int trainCount,
        CancellationToken cancellation)
    {
        var validation = _data.Validation is { Count: > 0 } ? await _backend.EvaluateAsync(DataSplit.Validation, cancellation) : default;
        var test = await _backend.EvaluateAsync(DataSplit.Test, cancellation);
        double validationLoss = validation.Samples > 0 ? validation.LossSum / validation.Samples : double.NaN;
        _updater.Schedule.OnEpochEnd(validationLoss);
        return new EpochReport(
            _cursor.Epoch + 1,
            _cursor.Step,
            _cursor.EpochLossSum / trainCount,
            Accuracy(_cursor.EpochCorrect, trainCount),
            validationLoss,
            validation.Samples > 0 ? Accuracy(validation.Correct, validation.Samples) : double.NaN,
            TestLoss(test),
            TestAccuracy(test),
            _updater.Schedule.RateAt(Math.Max(0, _cursor.Step - 1)),
            trainSeconds > 0 ? trainCount / trainSeconds : 0.0,
            epochWatch.Elapsed.TotalSeconds)
        {
            TestBitsPerCharacter = BitsPerCharacter(test),
        };
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
        _backend.Dispose();
        _model.Dispose();
    }
}
