using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training.Adversarial;
using Xunit;

namespace DistributedTrainer.Tests.Training.Adversarial;

public class GanNoiseTests
{
    [Fact]
    public void Fill_SameKeyInAnotherBatch_GivesTheSameVector()
    {
        var noise = new GanNoise(AdversarialSpec.Types.Noise.Normal, 5, 42);
        var whole = new float[4 * 5];
        var alone = new float[5];

        noise.Fill(whole, 7, 10, 4, GanNoise.CriticStream);
        noise.Fill(alone, 7, 12, 1, GanNoise.CriticStream);

        Assert.Equal(whole.AsSpan(10, 5).ToArray(), alone);
    }

    [Fact]
    public void Fill_OtherStream_GivesOtherValues()
    {
        var noise = new GanNoise(AdversarialSpec.Types.Noise.Normal, 8, 42);
        var critic = new float[8];
        var generator = new float[8];

        noise.Fill(critic, 7, 0, 1, GanNoise.CriticStream);
        noise.Fill(generator, 7, 0, 1, GanNoise.GeneratorStream);

        Assert.NotEqual(critic, generator);
    }

    [Fact]
    public void Fill_Normal_HasZeroMeanAndUnitVariance()
    {
        var noise = new GanNoise(AdversarialSpec.Types.Noise.Normal, 100, 3);
        var values = new float[200 * 100];

        noise.Fill(values, 0, 0, 200, GanNoise.GridStream);

        double mean = values.Average(v => (double)v);
        double variance = values.Average(v => (v - mean) * (v - mean));
        Assert.InRange(mean, -0.03, 0.03);
        Assert.InRange(variance, 0.95, 1.05);
    }

    [Fact]
    public void Fill_Uniform_StaysInMinusOneToOne()
    {
        var noise = new GanNoise(AdversarialSpec.Types.Noise.Uniform, 100, 3);
        var values = new float[100 * 100];

        noise.Fill(values, 0, 0, 100, GanNoise.GridStream);

        Assert.All(values, v => Assert.InRange(v, -1f, 0.99999994f));
        Assert.InRange(values.Average(v => (double)v), -0.03, 0.03);
    }

    [Fact]
    public void Fill_DestinationTooSmall_Throws()
    {
        var noise = new GanNoise(AdversarialSpec.Types.Noise.Uniform, 4, 3);

        var error = Assert.Throws<ArgumentException>(() => noise.Fill(new float[7], 0, 0, 2, GanNoise.GridStream));

        Assert.Contains("7 floats for 2 vectors of 4", error.Message);
    }
}
