using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class DropoutTests
{
    [Fact]
    public void Backward_Training_MatchesFiniteDifferences()
    {
        using var model = new Model([new Dropout("drop", 6, 0.5f)], 3);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(3), GradientCheck.RandomValues(18, 1), 3);
    }

    [Fact]
    public void Forward_SameSampleInAnotherRowAndBatch_SameMask()
    {
        using var model = new Model([new Dropout("drop", 64, 0.5f)], 3);
        float[] ones = [.. Enumerable.Repeat(1f, 3 * 64)];
        var first = new StepContext { Training = true, Seed = 7, Step = 11, SampleIds = [10, 42, 7] };
        var second = new StepContext { Training = true, Seed = 7, Step = 11, SampleIds = [42, 3] };

        float[] maskInFirst = model.Forward(first, ones, 3).Slice(64, 64).ToArray();
        float[] maskInSecond = model.Forward(second, ones, 2)[..64].ToArray();

        GradientCheck.AssertClose(maskInFirst, maskInSecond, 0);
    }

    [Fact]
    public void Forward_Evaluation_IsIdentity()
    {
        using var model = new Model([new Dropout("drop", 8, 0.5f)], 2);
        float[] input = GradientCheck.RandomValues(16, 1);

        var output = model.Forward(GradientCheck.Evaluation(), input, 2);

        GradientCheck.AssertClose(input, output, 0);
    }

    [Fact]
    public void Forward_Training_ZeroesRateAndScalesTheRest()
    {
        const float rate = 0.3f;
        using var model = new Model([new Dropout("drop", 1000, rate)], 4);

        float[] output = model.Forward(GradientCheck.Training(4), [.. Enumerable.Repeat(1f, 4000)], 4).ToArray();

        double dropped = output.Count(value => value == 0) / (double)output.Length;
        Assert.True(Math.Abs(dropped - rate) < 0.03, $"Dropped fraction {dropped}, expected about {rate}.");
        Assert.All(output.Where(value => value != 0), value => Assert.Equal(1f / (1f - rate), value));
    }

    [Fact]
    public void Forward_TrainingWithoutSampleIds_ThrowsNamingLayer()
    {
        using var model = new Model([new Dropout("drop", 4, 0.5f)], 2);
        var context = new StepContext { Training = true, SampleIds = [1] };

        var error = Assert.Throws<ArgumentException>(() => model.Forward(context, new float[8], 2));

        Assert.Contains("'drop'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_RateOfOne_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Dropout("drop", 4, 1f));
    }
}
