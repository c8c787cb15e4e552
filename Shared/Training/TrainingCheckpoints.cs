using DistributedTrainer.Checkpoints;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Regularization;
using DistributedTrainer.Protos.V1;
using Google.Protobuf;

namespace DistributedTrainer.Training;

/// <summary>
/// Writes and restores everything a run needs to continue exactly: parameters and buffers, optimizer state,
/// schedule state, early stopping (with its best parameters) and the cursor into the epoch's permutation.
/// </summary>
public sealed class TrainingCheckpoints
{
    private const string BestParameters = "early_stopping.best_parameters";
    private const string BestBuffers = "early_stopping.best_buffers";
    private const string EpochLossSum = "epoch_loss_sum";
    private const string EpochCorrect = "epoch_correct";

    private readonly CheckpointStore _store;
    private readonly JobSpec _spec;
    private readonly Model _model;
    private readonly ParameterUpdater _updater;
    private readonly EarlyStopping? _earlyStopping;

    public TrainingCheckpoints(string directory, JobSpec spec, Model model, ParameterUpdater updater, EarlyStopping? earlyStopping)
    {
        int keep = spec.Checkpoint is { Keep: > 0 } policy ? policy.Keep : 3;
        _store = new CheckpointStore(directory, keep);
        _spec = spec;
        _model = model;
        _updater = updater;
        _earlyStopping = earlyStopping;
    }

    /// <summary>A TEXT data set's vocabulary, written into every manifest; null for other data.</summary>
    public Data.TextVocabulary? Vocabulary { get; init; }

    /// <summary>Writes a checkpoint at <paramref name="cursor"/> and returns its directory.</summary>
    public string Save(TrainingCursor cursor)
    {
        var modelTensors = CheckpointTensors.FromModel(_model.Store).ToList();
        Checkpoints.EarlyStoppingState? earlyStopping = null;
        if (_earlyStopping is not null)
        {
            var state = _earlyStopping.SaveState();
            earlyStopping = new Checkpoints.EarlyStoppingState(state.BestValue, state.BestEpoch, -1, state.EpochsWithoutImprovement);
            if (state.BestParameters is { Length: > 0 } best)
            {
                modelTensors.Add(new NamedTensor(BestParameters, [best.Length], best));
                var buffers = state.BestBuffers ?? [];
                modelTensors.Add(new NamedTensor(BestBuffers, [buffers.Length], buffers));
            }
        }
        var manifest = new CheckpointManifest
        {
            JobSpecJson = JsonFormatter.Default.Format(_spec),
            Step = cursor.Step,
            Epoch = cursor.Epoch,
            DataCursor = cursor.SamplesDone,
            Seed = _spec.Seed,
            OptimizerKind = _spec.Optimizer.Kind.ToString(),
            OptimizerStepCount = _updater.Optimizer.StepCount,
            ScheduleState = _updater.Schedule.SaveState(),
            EarlyStopping = earlyStopping,
            Vocabulary = Vocabulary?.Characters,
            Metrics = new Dictionary<string, double>
            {
                [EpochLossSum] = cursor.EpochLossSum,
                [EpochCorrect] = cursor.EpochCorrect,
            },
        };
        return _store.Save(new Checkpoint(manifest, modelTensors,
            CheckpointTensors.FromOptimizer(_updater.Optimizer, _model.Store.Parameters)));
    }

    /// <summary>
    /// Loads the checkpoint in <paramref name="directory"/> into a freshly built run of the same spec and returns
    /// where to continue. A checkpoint of another seed or optimizer cannot continue exactly and is refused.
    /// </summary>
    public static TrainingCursor Restore(string directory, JobSpec spec, Model model, ParameterUpdater updater,
        EarlyStopping? earlyStopping)
    {
        var full = Path.GetFullPath(directory);
        var checkpoint = new CheckpointStore(Path.GetDirectoryName(full)!).Load(full);
        var manifest = checkpoint.Manifest;
        if (manifest.Seed != spec.Seed)
        {
            throw new InvalidDataException($"Checkpoint {full} was written with seed {manifest.Seed}; the spec has seed {spec.Seed}.");
        }
        if (manifest.OptimizerKind != spec.Optimizer.Kind.ToString())
        {
            throw new InvalidDataException(
                $"Checkpoint {full} holds {manifest.OptimizerKind} state; the spec's optimizer is {spec.Optimizer.Kind}.");
        }
        CheckpointTensors.RestoreModel(model.Store, checkpoint.Model);
        CheckpointTensors.RestoreOptimizer(updater.Optimizer, manifest.OptimizerStepCount, checkpoint.Optimizer, model.Store.Parameters);
        updater.Schedule.LoadState(manifest.ScheduleState);
        if (earlyStopping is not null && manifest.EarlyStopping is { } saved)
        {
            var best = checkpoint.Model.FirstOrDefault(t => t.Name == BestParameters)?.Data;
            var bestBuffers = checkpoint.Model.FirstOrDefault(t => t.Name == BestBuffers)?.Data;
            earlyStopping.LoadState(new Numerics.Regularization.EarlyStoppingState(
                saved.BestEpoch, saved.BestMetric, saved.EpochsWithoutImprovement, best, bestBuffers));
        }
        manifest.Metrics.TryGetValue(EpochLossSum, out double lossSum);
        manifest.Metrics.TryGetValue(EpochCorrect, out double correct);
        return new TrainingCursor(manifest.Step, manifest.Epoch, checked((int)manifest.DataCursor), lossSum, (long)correct);
    }
}
