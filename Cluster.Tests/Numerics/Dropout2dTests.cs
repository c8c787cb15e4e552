using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class Dropout2dTests
{
    private static readonly ImageShape Shape = new(8, 3, 3);

    private static Model SingleDropout(int maxBatch, float rate = 0.5f)
    {
        var model = new Model([new Dropout2d("drop", Shape, rate)], maxBatch);
        model.Initialize(5);
        return model;
    }

    [Fact]
    public void Forward_Training_ZeroesOrScalesWholeChannels()
    {
        using var model = SingleDropout(4);
        float[] x = [.. Enumerable.Repeat(1f, 4 * Shape.Size)];

        float[] y = model.Forward(GradientCheck.Training(4), x, 4).ToArray();

        int dropped = 0;
        for (int map = 0; map < 4 * Shape.Channels; map++)
        {
            var values = y.Skip(map * Shape.PlaneSize).Take(Shape.PlaneSize).Distinct().ToArray();
            float value = Assert.Single(values);
            Assert.True(value is 0f or 2f, $"map {map} holds {value}");
            dropped += value == 0 ? 1 : 0;
        }
        Assert.InRange(dropped, 1, (4 * Shape.Channels) - 1);
    }

    [Fact]
    public void Forward_SplitBatch_MatchesWholeBatch()
    {
        using var model = SingleDropout(4);
        float[] x = GradientCheck.RandomValues(4 * Shape.Size, 71);
        var context = GradientCheck.Training(4);

        float[] whole = model.Forward(context, x, 4).ToArray();
        var second = new StepContext { Training = true, Seed = context.Seed, Step = context.Step, SampleIds = [2, 3] };
        float[] split = [.. model.Forward(GradientCheck.Training(2), x.AsSpan(0, 2 * Shape.Size), 2).ToArray(),
            .. model.Forward(second, x.AsSpan(2 * Shape.Size), 2).ToArray()];

        GradientCheck.AssertClose(whole, split, 0);
    }

    [Fact]
    public void Forward_Evaluation_IsTheIdentity()
    {
        using var model = SingleDropout(2);
        float[] x = GradientCheck.RandomValues(2 * Shape.Size, 72);

        var y = model.Forward(GradientCheck.Evaluation(), x, 2);

        GradientCheck.AssertClose(x, y, 0);
    }

    [Fact]
    public void Backward_Training_MatchesFiniteDifferences()
    {
        using var model = SingleDropout(3, 0.3f);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(3), GradientCheck.RandomValues(3 * Shape.Size, 73), 3);
    }
}
