using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class MaxPool2dTests
{
    private static Model SinglePool(ImageShape input, WindowGeometry window, int maxBatch)
    {
        var model = new Model([new MaxPool2d("pool", input, window)], maxBatch);
        model.Initialize(5);
        return model;
    }

    [Fact]
    public void Forward_TwoByTwo_TakesEachWindowsMaximum()
    {
        using var model = SinglePool(new ImageShape(1, 4, 4), new WindowGeometry(2, 2, 0, 1), 1);

        var output = model.Forward(GradientCheck.Evaluation(), [1, 5, 2, 0, 3, 4, -1, 7, 0, 0, 9, 8, -2, 1, 8, 9], 1);

        GradientCheck.AssertClose([5, 7, 1, 9], output, 0);
    }

    [Fact]
    public void Forward_PaddedWindow_NeverTakesThePadding()
    {
        // All inputs negative: a zero from the padding would win if padding counted.
        using var model = SinglePool(new ImageShape(1, 3, 3), new WindowGeometry(3, 2, 1, 1), 1);

        var output = model.Forward(GradientCheck.Evaluation(), [-1, -2, -3, -4, -5, -6, -7, -8, -9], 1);

        GradientCheck.AssertClose([-1, -2, -4, -5], output, 0);
    }

    [Fact]
    public void Backward_TiedMaximum_RoutesToTheFirst()
    {
        using var model = SinglePool(new ImageShape(1, 2, 2), new WindowGeometry(2, 2, 0, 1), 1);
        float[] inputGradient = new float[4];
        model.Forward(GradientCheck.Training(1), [3, 3, 1, 3], 1);

        model.Backward(GradientCheck.Training(1), [2f], inputGradient, 1);

        GradientCheck.AssertClose([2, 0, 0, 0], inputGradient, 0);
    }

    [Theory]
    [InlineData(2, 6, 6, 2, 2, 0)]
    [InlineData(2, 7, 5, 3, 2, 1)]
    [InlineData(1, 5, 7, 3, 1, 1)]
    public void Backward_Shapes_MatchesFiniteDifferences(int channels, int height, int width, int kernel, int stride, int padding)
    {
        var input = new ImageShape(channels, height, width);
        using var model = SinglePool(input, new WindowGeometry(kernel, stride, padding, 1), 2);
        // Distinct values at least 0.05 apart, shuffled: a ±1e-2 step never changes which input is a window's maximum.
        var random = new Random(31);
        float[] x = [.. Enumerable.Range(0, 2 * input.Size).Select(i => (i * 0.05f) - 1).OrderBy(_ => random.Next())];

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(2), x, 2);
    }

    [Fact]
    public void Constructor_PaddingOverHalfTheKernel_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new MaxPool2d("p", new ImageShape(1, 6, 6), new WindowGeometry(2, 2, 2, 1)));

        Assert.Contains("at most half the kernel", error.Message, StringComparison.Ordinal);
    }
}
