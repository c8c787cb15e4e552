using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Losses;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Numerics;
using DistributedTrainer.Training;
using DistributedTrainer.Training.Adversarial;
using Xunit;

namespace DistributedTrainer.Tests.Training.Adversarial;

/// <summary>
/// The engine's gradients against central differences of the losses as the papers write them, through both networks:
/// the generator's gradient flows back through the discriminator's input gradient.
/// </summary>
public sealed class AdversarialEngineTests : IDisposable
{
    private const int Rows = 5;
    private const long Step = 3;
    private static readonly int[] SampleIds = [4, 17, 9, 30, 2];

    private readonly Model _generator;
    private readonly Model _discriminator;
    private readonly GanNoise _noise = new(AdversarialSpec.Types.Noise.Normal, 4, 99);
    private readonly DistributedTrainer.Data.LoadedData _data = SyntheticGanJobs.Data();

    public AdversarialEngineTests()
    {
        // Smooth layers only (tanh): central differences see no kinks and there is no dropout or batch statistics.
        _generator = new Model(
        [
            new Dense("g1", 4, 6, new LayerTestInitializer(), new LayerTestInitializer()),
            new Tanh("g1act", 6),
            new Dense("g2", 6, SyntheticGanJobs.Features, new LayerTestInitializer(), new LayerTestInitializer()),
        ], Rows);
        _discriminator = new Model(
        [
            new Dense("d1", SyntheticGanJobs.Features, 5, new LayerTestInitializer(), new LayerTestInitializer()),
            new Tanh("d1act", 5),
            new Dense("d2", 5, 1, new LayerTestInitializer(), new LayerTestInitializer()),
        ], Rows);
        _generator.Initialize(5);
        _discriminator.Initialize(6);
    }

    public void Dispose()
    {
        _generator.Dispose();
        _discriminator.Dispose();
    }

    public static TheoryData<AdversarialSpec.Types.Loss> Losses() =>
        new(AdversarialSpec.Types.Loss.Minimax, AdversarialSpec.Types.Loss.NonSaturating, AdversarialSpec.Types.Loss.Wasserstein);

    [Theory]
    [MemberData(nameof(Losses))]
    public void Critic_AnyLoss_DiscriminatorGradientMatchesCentralDifferences(AdversarialSpec.Types.Loss kind)
    {
        var loss = new AdversarialLoss(kind);
        using var engine = new AdversarialEngine(_generator, _discriminator, loss, _data.Train, _noise, 1, Rows);
        var gradients = new FixedPointAccumulator(_discriminator.Store.Count);

        var result = engine.Critic(Step, SampleIds, 0, gradients, new FixedPointAccumulator(0));

        var analytic = new float[gradients.Length];
        gradients.CopyTo(analytic);
        var fake = Samples();
        var real = new float[Rows * SyntheticGanJobs.Features];
        _data.Train.Gather(real, new int[Rows], SampleIds);
        double Objective() =>
            loss.Real(new float[Rows], _discriminator.Forward(Context(), real, Rows))
            + loss.Fake(new float[Rows], _discriminator.Forward(Context(), fake, Rows));
        Assert.Equal(Objective(), result.LossSum, 10);
        GradientCheck.AssertMatches("discriminator", () => _discriminator.Store.Values, analytic, Objective);
    }

    [Theory]
    [MemberData(nameof(Losses))]
    public void Generator_AnyLoss_GeneratorGradientMatchesCentralDifferences(AdversarialSpec.Types.Loss kind)
    {
        var loss = new AdversarialLoss(kind);
        using var engine = new AdversarialEngine(_generator, _discriminator, loss, _data.Train, _noise, 1, Rows);
        var gradients = new FixedPointAccumulator(_generator.Store.Count);

        var result = engine.Generator(Step, 0, Rows, gradients, new FixedPointAccumulator(0));

        var analytic = new float[gradients.Length];
        gradients.CopyTo(analytic);
        var latent = new float[Rows * _noise.Size];
        _noise.Fill(latent, Step, 0, Rows, GanNoise.GeneratorStream);
        double Objective()
        {
            var samples = _generator.Forward(Context(), latent, Rows).ToArray();
            return loss.Generator(new float[Rows], _discriminator.Forward(Context(), samples, Rows));
        }
        Assert.Equal(Objective(), result.LossSum, 10);
        GradientCheck.AssertMatches("generator", () => _generator.Store.Values, analytic, Objective);
    }

    [Fact]
    public void Critic_GeneratorWithBatchNorm_LeavesItsRunningStatisticsUnchanged()
    {
        using var generator = new Model(
        [
            new Dense("g1", 4, SyntheticGanJobs.Features, new LayerTestInitializer(), new LayerTestInitializer()),
            new BatchNorm("bn", SyntheticGanJobs.Features, 0.1f, 1e-5f),
        ], Rows);
        generator.Initialize(5);
        var before = generator.Store.BufferValues.ToArray();
        using var engine = new AdversarialEngine(generator, _discriminator, new AdversarialLoss(AdversarialSpec.Types.Loss.Minimax),
            _data.Train, _noise, 1, Rows);
        var bufferChanges = new FixedPointAccumulator(generator.Store.BufferValues.Length);

        engine.Critic(Step, SampleIds, 0, new FixedPointAccumulator(_discriminator.Store.Count), new FixedPointAccumulator(0));
        engine.Generator(Step, 0, Rows, new FixedPointAccumulator(generator.Store.Count), bufferChanges);

        Assert.Equal(before, generator.Store.BufferValues.ToArray());
        var changes = new float[bufferChanges.Length];
        bufferChanges.CopyTo(changes);
        Assert.Contains(changes, change => change != 0f);
    }

    // The generated samples of the critic update: noise vectors 0.. of the critic stream.
    private float[] Samples()
    {
        var latent = new float[Rows * _noise.Size];
        _noise.Fill(latent, Step, 0, Rows, GanNoise.CriticStream);
        return _generator.Forward(Context(), latent, Rows).ToArray();
    }

    private static StepContext Context() => new() { Training = true, SampleIds = new long[Rows] };
}
