using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Training;

public sealed class StepGradientTests
{
    private static FixedPointAccumulator Sums(params float[] values)
    {
        var sums = new FixedPointAccumulator(values.Length);
        sums.Add(values);
        return sums;
    }

    [Fact]
    public void Average_FiniteSums_HoldsTheirMeansAsCopyToGivesThem()
    {
        var gradient = new StepGradient(3, 2);
        var gradientSums = Sums(6f, -1f, 1e-7f);
        var bufferSums = Sums(3f, 0.5f);

        gradient.Average(gradientSums, bufferSums, batchSize: 3);

        var expected = new float[3];
        gradientSums.CopyTo(expected, 1.0 / 3);
        Assert.Equal(expected, gradient.Gradient);
        Assert.Equal([1f, 0.5f / 3], gradient.BufferChange);
        Assert.True(gradient.IsFinite);
        Assert.Equal(-1, gradient.FirstNonFiniteIndex);
    }

    [Fact]
    public void Average_NonFiniteBufferChange_MarksItsFlatIndexAfterTheGradient()
    {
        var gradient = new StepGradient(3, 2);

        gradient.Average(Sums(1f, 2f, 3f), Sums(0f, float.NaN), batchSize: 1);

        Assert.False(gradient.IsFinite);
        Assert.Equal(4, gradient.FirstNonFiniteIndex);
    }

    [Fact]
    public void Average_NonFiniteGradientAndBuffers_MarksTheGradientsIndex()
    {
        var gradient = new StepGradient(3, 2);

        gradient.Average(Sums(1f, float.PositiveInfinity, 3f), Sums(float.NaN, 0f), batchSize: 1);

        Assert.Equal(1, gradient.FirstNonFiniteIndex);
    }

    [Fact]
    public void MarkNonFinite_InAnyOrder_KeepsTheLowestUntilReset()
    {
        var gradient = new StepGradient(10, 0);

        gradient.MarkNonFinite(7);
        gradient.MarkNonFinite(2);
        gradient.MarkNonFinite(5);

        Assert.Equal((false, 2L), (gradient.IsFinite, gradient.FirstNonFiniteIndex));
        gradient.Reset();
        Assert.Equal((true, -1L), (gradient.IsFinite, gradient.FirstNonFiniteIndex));
    }

    [Fact]
    public void MultiplierFor_BatchBelowOne_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => StepGradient.MultiplierFor(0));
    }
}
