using DistributedTrainer.Checkpoints;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;
using Google.Protobuf;

namespace DistributedTrainer.Training.Adversarial;

/// <summary>
/// Writes and restores everything a GAN run needs to continue exactly: both networks' parameters and buffers
/// ("generator.fc1.weight", "discriminator.conv1.weight" in model.safetensors), both optimizers' state
/// ("generator.exp_avg.fc1.weight" in optimizer.safetensors), both schedules and the cursor. The manifest's optimizer
/// fields hold the discriminator's, its <see cref="CheckpointManifest.Generator"/> the generator's.
/// </summary>
public sealed class AdversarialCheckpoints
{
    /// <summary>Name prefix of the generator's tensors.</summary>
    public const string GeneratorPrefix = "generator.";

    /// <summary>Name prefix of the discriminator's tensors.</summary>
    public const string DiscriminatorPrefix = "discriminator.";

    /// <summary>Manifest metric: the value a grid shows black.</summary>
    public const string DisplayLow = "display_low";

    /// <summary>Manifest metric: the value a grid shows white.</summary>
    public const string DisplayHigh = "display_high";

    private const string DiscriminatorLossSum = "epoch_discriminator_loss_sum";
    private const string GeneratorLossSum = "epoch_generator_loss_sum";
    private const string GeneratorSamples = "epoch_generator_samples";

    private readonly CheckpointStore _store;
    private readonly JobSpec _spec;
    private readonly AdversarialNetwork _generator;
    private readonly AdversarialNetwork _discriminator;
    private readonly (float Low, float High) _display;

    public AdversarialCheckpoints(string directory, JobSpec spec, AdversarialNetwork generator,
        AdversarialNetwork discriminator, (float Low, float High) display)
    {
        int keep = spec.Checkpoint is { Keep: > 0 } policy ? policy.Keep : 3;
        _store = new CheckpointStore(directory, keep);
        _spec = spec;
        _generator = generator;
        _discriminator = discriminator;
        _display = display;
    }

    /// <summary>Writes a checkpoint at <paramref name="cursor"/> and returns its directory.</summary>
    public string Save(AdversarialCursor cursor)
    {
        var model = Prefixed(GeneratorPrefix, CheckpointTensors.FromModel(_generator.Model.Store))
            .Concat(Prefixed(DiscriminatorPrefix, CheckpointTensors.FromModel(_discriminator.Model.Store)))
            .ToList();
        var optimizer = Prefixed(GeneratorPrefix, CheckpointTensors.FromOptimizer(_generator.Updater.Optimizer, _generator.Model.Store.Parameters))
            .Concat(Prefixed(DiscriminatorPrefix, CheckpointTensors.FromOptimizer(_discriminator.Updater.Optimizer, _discriminator.Model.Store.Parameters)))
            .ToList();
        var manifest = new CheckpointManifest
        {
            JobSpecJson = JsonFormatter.Default.Format(_spec),
            Step = cursor.Step,
            Epoch = cursor.Epoch,
            DataCursor = cursor.SamplesDone,
            Seed = _spec.Seed,
            OptimizerKind = _spec.Adversarial.Discriminator.Optimizer.Kind.ToString(),
            OptimizerStepCount = _discriminator.Updater.Optimizer.StepCount,
            ScheduleState = _discriminator.Updater.Schedule.SaveState(),
            Generator = new GeneratorCheckpointState(_spec.Adversarial.Generator.Optimizer.Kind.ToString(),
                _generator.Updater.Optimizer.StepCount, _generator.Updater.Schedule.SaveState()),
            Metrics = new Dictionary<string, double>
            {
                [DiscriminatorLossSum] = cursor.DiscriminatorLossSum,
                [GeneratorLossSum] = cursor.GeneratorLossSum,
                [GeneratorSamples] = cursor.GeneratorSamples,
                [DisplayLow] = _display.Low,
                [DisplayHigh] = _display.High,
            },
        };
        return _store.Save(new Checkpoint(manifest, model, optimizer));
    }

    /// <summary>
    /// Loads the checkpoint in <paramref name="directory"/> into a freshly built run of the same spec and returns
    /// where to continue. A checkpoint of another seed or other optimizers cannot continue exactly and is refused.
    /// </summary>
    public static AdversarialCursor Restore(string directory, JobSpec spec, AdversarialNetwork generator, AdversarialNetwork discriminator)
    {
        var checkpoint = Load(directory, out string full);
        var manifest = checkpoint.Manifest;
        if (manifest.Seed != spec.Seed)
        {
            throw new InvalidDataException($"Checkpoint {full} was written with seed {manifest.Seed}; the spec has seed {spec.Seed}.");
        }
        var generatorKind = spec.Adversarial.Generator.Optimizer.Kind.ToString();
        var discriminatorKind = spec.Adversarial.Discriminator.Optimizer.Kind.ToString();
        if (manifest.Generator is not { } saved || saved.OptimizerKind != generatorKind || manifest.OptimizerKind != discriminatorKind)
        {
            throw new InvalidDataException(
                $"Checkpoint {full} holds generator {manifest.Generator?.OptimizerKind ?? "(none)"} and discriminator {manifest.OptimizerKind} optimizer state; the spec's optimizers are {generatorKind} and {discriminatorKind}.");
        }
        RestoreModel(checkpoint, GeneratorPrefix, generator.Model);
        RestoreModel(checkpoint, DiscriminatorPrefix, discriminator.Model);
        CheckpointTensors.RestoreOptimizer(generator.Updater.Optimizer, saved.OptimizerStepCount,
            Unprefixed(GeneratorPrefix, checkpoint.Optimizer), generator.Model.Store.Parameters);
        CheckpointTensors.RestoreOptimizer(discriminator.Updater.Optimizer, manifest.OptimizerStepCount,
            Unprefixed(DiscriminatorPrefix, checkpoint.Optimizer), discriminator.Model.Store.Parameters);
        generator.Updater.Schedule.LoadState(saved.ScheduleState);
        discriminator.Updater.Schedule.LoadState(manifest.ScheduleState);
        manifest.Metrics.TryGetValue(DiscriminatorLossSum, out double discriminatorLoss);
        manifest.Metrics.TryGetValue(GeneratorLossSum, out double generatorLoss);
        manifest.Metrics.TryGetValue(GeneratorSamples, out double generatorSamples);
        return new AdversarialCursor(manifest.Step, manifest.Epoch, checked((int)manifest.DataCursor), discriminatorLoss,
            generatorLoss, (long)generatorSamples);
    }

    /// <summary>Loads and verifies the checkpoint in <paramref name="directory"/>; <paramref name="full"/> is its full path.</summary>
    public static Checkpoint Load(string directory, out string full)
    {
        full = Path.GetFullPath(directory);
        return new CheckpointStore(Path.GetDirectoryName(full)!).Load(full);
    }

    /// <summary>Copies the tensors named <paramref name="prefix"/> + a tensor of <paramref name="model"/> into it.</summary>
    public static void RestoreModel(Checkpoint checkpoint, string prefix, Model model) =>
        CheckpointTensors.RestoreModel(model.Store, Unprefixed(prefix, checkpoint.Model));

    private static IEnumerable<NamedTensor> Prefixed(string prefix, IEnumerable<NamedTensor> tensors) =>
        tensors.Select(tensor => tensor with { Name = prefix + tensor.Name });

    private static List<NamedTensor> Unprefixed(string prefix, IEnumerable<NamedTensor> tensors) =>
        [.. tensors.Where(tensor => tensor.Name.StartsWith(prefix, StringComparison.Ordinal))
            .Select(tensor => tensor with { Name = tensor.Name[prefix.Length..] })];
}
