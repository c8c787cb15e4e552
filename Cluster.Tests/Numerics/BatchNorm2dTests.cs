using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class BatchNorm2dTests
{
    private static readonly ImageShape Shape = new(2, 3, 3);

    private static Model SingleBatchNorm(int maxBatch)
    {
        var model = new Model([new BatchNorm2d("bn", Shape)], maxBatch);
        model.Initialize(5);
        return model;
    }

    [Fact]
    public void Forward_Training_NormalizesEachChannelOverSamplesAndPositions()
    {
        using var model = SingleBatchNorm(3);
        float[] x = GradientCheck.RandomValues(3 * Shape.Size, 61, -2, 3);

        float[] y = model.Forward(GradientCheck.Training(3), x, 3).ToArray();

        for (int c = 0; c < Shape.Channels; c++)
        {
            double[] values = [.. Enumerable.Range(0, 3).SelectMany(b => y.Skip((b * Shape.Size) + (c * Shape.PlaneSize)).Take(Shape.PlaneSize)).Select(v => (double)v)];
            double mean = values.Average();
            double variance = values.Select(v => (v - mean) * (v - mean)).Average();
            Assert.True(Math.Abs(mean) < 1e-5, $"channel {c} mean {mean}");
            Assert.True(Math.Abs(variance - 1) < 1e-3, $"channel {c} variance {variance}");
        }
    }

    [Fact]
    public void Backward_Training_MatchesFiniteDifferences()
    {
        using var model = SingleBatchNorm(3);
        model.Store.ValuesOf(model.Store.Parameters[0]).Fill(1.5f);
        model.Store.ValuesOf(model.Store.Parameters[1]).Fill(-0.5f);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(3), GradientCheck.RandomValues(3 * Shape.Size, 62), 3);
    }

    [Fact]
    public void Backward_Evaluation_MatchesFiniteDifferences()
    {
        using var model = SingleBatchNorm(2);
        model.Store.BufferOf(model.Store.Buffers[0]).Fill(0.3f);
        model.Store.BufferOf(model.Store.Buffers[1]).Fill(2f);

        GradientCheck.AssertModelGradients(model, GradientCheck.Evaluation(), GradientCheck.RandomValues(2 * Shape.Size, 63), 2);
    }
}
