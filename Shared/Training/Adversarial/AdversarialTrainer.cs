using System.Diagnostics;
using System.Numerics.Tensors;
using DistributedTrainer.Data;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Optimizers;
using DistributedTrainer.Numerics.Schedules;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training.Adversarial;

/// <summary>
/// Runs a GAN job (JobSpec.adversarial) in this process. Each step is one critic update: the next batch of the
/// epoch's permutation as real samples and as many generated ones, the discriminator's gradient summed exactly over
/// micro-shards and applied by its own optimizer (then, for WASSERSTEIN, its parameters clamped). After every
/// critic_steps of them the generator is updated the same way on fresh noise, its gradient flowing back through the
/// discriminator. After each epoch the generator draws the fixed grid noise and a checkpoint holds both networks.
/// </summary>
/// <remarks>
/// The micro-shards are computed by an <see cref="IAdversarialBackend"/>: one after another on one engine (each GEMM
/// threaded) in this process, or spread over a cluster's workers. Because every shard's gradient goes into an exact
/// fixed-point sum and the noise is counter-based, the parameters depend neither on the thread count nor on the
/// workers, and a resumed run continues bitwise as if it had never stopped.
/// </remarks>
public sealed class AdversarialTrainer : IDisposable
{
    private readonly JobSpec _spec;
    private readonly AdversarialSpec _gan;
    private readonly LoadedData _data;
    private readonly AdversarialNetwork _generator;
    private readonly AdversarialNetwork _discriminator;
    private readonly IAdversarialBackend _backend;
    private readonly GanNoise _gridNoise;
    private readonly AdversarialCheckpoints? _checkpoints;
    private readonly StepGradient _discriminatorGradient;
    private readonly StepGradient _generatorGradient;
    private readonly int _criticSteps;
    private readonly float _weightClip;
    private readonly (float Low, float High) _display;
    private AdversarialCursor _cursor = AdversarialCursor.Start;

    private AdversarialTrainer(JobSpec spec, LoadedData data, Func<Model, Model, IAdversarialBackend> backend, string? checkpointDirectory)
    {
        _spec = spec;
        _gan = spec.Adversarial;
        _data = data;
        int shardSize = MicroShards.SizeOf(spec);
        _criticSteps = Math.Max(1, _gan.CriticSteps);
        _weightClip = _gan.Loss == AdversarialSpec.Types.Loss.Wasserstein
            ? _gan.HasWeightClip ? _gan.WeightClip : Jobs.JobSpecValidator.DefaultWeightClip
            : 0f;
        long criticUpdates = (long)spec.Epochs * Trainer.StepsPerEpoch(data.Train.Count, spec.BatchSize);
        var generatorModel = GanNetworks.BuildGenerator(_gan, Math.Max(shardSize, GanNetworks.GridSamples(_gan)));
        Model? discriminatorModel = null;
        try
        {
            discriminatorModel = GanNetworks.BuildDiscriminator(_gan, data.FeatureCount, shardSize);
            generatorModel.Initialize(spec.Seed);
            discriminatorModel.Initialize(GanNetworks.DiscriminatorSeed(spec.Seed));
            _generator = new AdversarialNetwork(generatorModel, Updater(generatorModel, _gan.Generator, criticUpdates / _criticSteps));
            _discriminator = new AdversarialNetwork(discriminatorModel, Updater(discriminatorModel, _gan.Discriminator, criticUpdates));
            _backend = backend(generatorModel, discriminatorModel);
            _gridNoise = new GanNoise(_gan.Noise, _gan.NoiseSize, GanNetworks.NoiseSeed(spec));
        }
        catch
        {
            generatorModel.Dispose();
            discriminatorModel?.Dispose();
            throw;
        }
        _discriminatorGradient = new StepGradient(discriminatorModel.Store.Count, discriminatorModel.Store.BufferValues.Length);
        _generatorGradient = new StepGradient(generatorModel.Store.Count, generatorModel.Store.BufferValues.Length);
        _display = GanNetworks.ValueRange(data.Train);
        if (checkpointDirectory is not null)
        {
            _checkpoints = new AdversarialCheckpoints(checkpointDirectory, spec, _generator, _discriminator, _display);
        }
    }

    /// <summary>The name of the run in traces and metrics (<c>job.id</c>); the spec's name unless set.</summary>
    public string JobId { get; set; } = "";

    /// <summary>The generator and its update.</summary>
    public AdversarialNetwork Generator => _generator;

    /// <summary>The discriminator (critic) and its update.</summary>
    public AdversarialNetwork Discriminator => _discriminator;

    /// <summary>Where the run stands.</summary>
    public AdversarialCursor Cursor => _cursor;

    /// <summary>
    /// Builds the GAN job <paramref name="spec"/> (validated, adversarial set) over loaded data, computed in this
    /// process. With <paramref name="checkpointDirectory"/> checkpoints are written there; with
    /// <paramref name="resumeFrom"/> the run continues from that checkpoint.
    /// </summary>
    public static AdversarialTrainer Create(JobSpec spec, LoadedData data, string? checkpointDirectory = null, string? resumeFrom = null) =>
        Create(spec, data, (generator, discriminator) => new LocalAdversarialBackend(spec, generator, discriminator, data),
            checkpointDirectory, resumeFrom);

    /// <summary>
    /// As <see cref="Create(JobSpec, LoadedData, string?, string?)"/>, with the micro-shards computed by the backend
    /// <paramref name="backend"/> builds over the trainer's generator and discriminator (which it reads at every step;
    /// the trainer disposes it).
    /// </summary>
    public static AdversarialTrainer Create(JobSpec spec, LoadedData data, Func<Model, Model, IAdversarialBackend> backend,
        string? checkpointDirectory = null, string? resumeFrom = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(backend);
        if (spec.Adversarial is null)
        {
            throw new ArgumentException("The spec is not a GAN job (adversarial is unset); use Trainer.", nameof(spec));
        }
        var trainer = new AdversarialTrainer(spec, data, backend, checkpointDirectory);
        try
        {
            if (resumeFrom is not null)
            {
                trainer._cursor = AdversarialCheckpoints.Restore(resumeFrom, spec, trainer._generator, trainer._discriminator);
            }
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Trains until the spec's epochs are done or <paramref name="cancellation"/> fires (then the run stops at a step
    /// boundary, writes a checkpoint when it can, and throws).
    /// </summary>
    /// <param name="stopAfterSteps">Stop (with a checkpoint) once this many critic updates are done; for tests.</param>
    public AdversarialSummary Run(IAdversarialObserver observer, long stopAfterSteps = long.MaxValue, CancellationToken cancellation = default) =>
        RunAsync(observer, stopAfterSteps, cancellation).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc cref="Run"/>
    public async ValueTask<AdversarialSummary> RunAsync(IAdversarialObserver observer, long stopAfterSteps = long.MaxValue,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var wall = Stopwatch.StartNew();
        int trainCount = _data.Train.Count;
        var permutation = new int[trainCount];
        int permutationEpoch = -1;
        var last = (Discriminator: double.NaN, Generator: double.NaN);
        if (_cursor.Step > 0)
        {
            observer.OnEvent($"Resumed at step {_cursor.Step}, epoch {_cursor.Epoch + 1}, sample {_cursor.SamplesDone} of {trainCount}.");
        }
        while (_cursor.Epoch < _spec.Epochs)
        {
            var epochWatch = Stopwatch.StartNew();
            if (permutationEpoch != _cursor.Epoch)
            {
                EpochPermutation.Fill(permutation, _spec.Seed, _cursor.Epoch);
                permutationEpoch = _cursor.Epoch;
            }
            int samplesAtStart = _cursor.SamplesDone;
            while (_cursor.SamplesDone < trainCount)
            {
                if (cancellation.IsCancellationRequested || _cursor.Step >= stopAfterSteps)
                {
                    string? saved = SaveCheckpoint();
                    cancellation.ThrowIfCancellationRequested();
                    return new AdversarialSummary(_cursor.Epoch, _cursor.Step, GeneratorSteps(_cursor.Step), last.Discriminator,
                        last.Generator, wall.Elapsed.TotalSeconds, saved);
                }
                await StepAsync(permutation.AsMemory(_cursor.SamplesDone, Math.Min(_spec.BatchSize, trainCount - _cursor.SamplesDone)), trainCount,
                    observer, cancellation);
                if (_checkpoints is not null && _spec.Checkpoint?.EverySteps > 0 && _cursor.Step % _spec.Checkpoint.EverySteps == 0)
                {
                    SaveCheckpoint();
                }
            }
            double trainSeconds = epochWatch.Elapsed.TotalSeconds;
            var grid = DrawGrid();
            var report = new AdversarialEpochReport(_cursor.Epoch + 1, _cursor.Step, GeneratorSteps(_cursor.Step),
                _cursor.DiscriminatorLossSum / trainCount,
                _cursor.GeneratorSamples > 0 ? _cursor.GeneratorLossSum / _cursor.GeneratorSamples : double.NaN,
                _discriminator.Updater.Schedule.RateAt(Math.Max(0, _cursor.Step - 1)),
                _generator.Updater.Schedule.RateAt(Math.Max(0, GeneratorSteps(_cursor.Step) - 1)),
                trainSeconds > 0 ? (trainCount - samplesAtStart) / trainSeconds : 0.0,
                0.0, grid);
            last = (report.DiscriminatorLoss, report.GeneratorLoss);
            _cursor = new AdversarialCursor(_cursor.Step, _cursor.Epoch + 1, 0, 0.0, 0.0, 0);
            string? checkpoint = SaveCheckpoint();
            observer.OnEpoch(report with { Seconds = epochWatch.Elapsed.TotalSeconds });
            if (checkpoint is not null)
            {
                observer.OnEvent($"Checkpoint written: {checkpoint}");
            }
        }
        return new AdversarialSummary(_cursor.Epoch, _cursor.Step, GeneratorSteps(_cursor.Step), last.Discriminator,
            last.Generator, wall.Elapsed.TotalSeconds, SaveCheckpoint());
    }

    /// <summary>Samples of the fixed grid noise from the generator as it is now (evaluation mode).</summary>
    public SampleGrid DrawGrid()
    {
        int count = GanNetworks.GridSamples(_gan);
        var values = GanNetworks.Draw(_generator.Model, _gridNoise, count);
        return new SampleGrid(values, count, GanNetworks.SampleShape(_generator.Model), _display.Low, _display.High);
    }

    private long GeneratorSteps(long criticSteps) => criticSteps / _criticSteps;

    private string RunName => JobId.Length > 0 ? JobId : _spec.Name;

    // One critic update on batch, and the generator update when it is due.
    private async ValueTask StepAsync(ReadOnlyMemory<int> batch, int trainCount, IAdversarialObserver observer, CancellationToken cancellation)
    {
        using var stepSpan = TrainingDiagnostics.StartStep(RunName, _cursor.Step + 1, _cursor.Epoch + 1);
        long step = _cursor.Step;
        _discriminatorGradient.Reset();
        double criticLoss = (await _backend.CriticAsync(step, batch, _discriminatorGradient, cancellation)).LossSum;
        var criticUpdate = _discriminator.Updater.Apply(step, _discriminatorGradient);
        if (criticUpdate.Applied && _weightClip > 0f)
        {
            var values = _discriminator.Model.Store.Values;
            TensorPrimitives.Min(values, _weightClip, values);
            TensorPrimitives.Max(values, -_weightClip, values);
        }
        ReportSkipped(observer, "discriminator", criticUpdate, _discriminator.Model, step + 1);

        double generatorLoss = double.NaN;
        UpdateResult? generatorUpdate = null;
        long generatorStep = GeneratorSteps(step + 1);
        if ((step + 1) % _criticSteps == 0)
        {
            _generatorGradient.Reset();
            int vectors = _spec.BatchSize;
            double sum = (await _backend.GeneratorAsync(generatorStep - 1, vectors, _generatorGradient, cancellation)).LossSum;
            var update = _generator.Updater.Apply(generatorStep - 1, _generatorGradient);
            ReportSkipped(observer, "generator", update, _generator.Model, generatorStep);
            generatorUpdate = update;
            generatorLoss = sum / vectors;
            _cursor = _cursor with { GeneratorLossSum = _cursor.GeneratorLossSum + sum, GeneratorSamples = _cursor.GeneratorSamples + vectors };
        }
        _cursor = _cursor with
        {
            Step = step + 1,
            SamplesDone = _cursor.SamplesDone + batch.Length,
            DiscriminatorLossSum = _cursor.DiscriminatorLossSum + criticLoss,
        };
        observer.OnStep(new AdversarialStepReport(_cursor.Epoch + 1, _cursor.Step, generatorStep, _cursor.SamplesDone, trainCount,
            criticLoss / batch.Length, criticUpdate, generatorLoss, generatorUpdate));
    }

    private static void ReportSkipped(IAdversarialObserver observer, string network, UpdateResult update, Model model, long step)
    {
        if (!update.Applied)
        {
            observer.OnEvent($"Step {step}: the {network} update was skipped, its gradient holds NaN or infinity" +
                (update.NonFiniteIndex >= 0 ? $" (first at {model.DescribeParameter(update.NonFiniteIndex)})." : "."));
        }
    }

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

    private static ParameterUpdater Updater(Model model, AdversarialNetworkSpec network, long totalSteps) =>
        new(model.Store, OptimizerFactory.Create(network.Optimizer, model.Store.Count),
            ScheduleFactory.Create(network.Schedule, OptimizerFactory.BaseLearningRate(network.Optimizer), Math.Max(1, totalSteps)),
            regularizer: null, clipping: null);

    public void Dispose()
    {
        _backend?.Dispose();
        _generator?.Model.Dispose();
        _discriminator?.Model.Dispose();
    }
}
