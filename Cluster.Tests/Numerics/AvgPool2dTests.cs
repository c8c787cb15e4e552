using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class AvgPool2dTests
{
    private static Model SinglePool(ImageShape input, WindowGeometry window, int maxBatch)
    {
        var model = new Model([new AvgPool2d("pool", input, window)], maxBatch);
        model.Initialize(5);
        return model;
    }

    [Fact]
    public void Forward_TwoByTwo_AveragesEachWindow()
    {
        using var model = SinglePool(new ImageShape(1, 4, 4), new WindowGeometry(2, 2, 0, 1), 1);

        var output = model.Forward(GradientCheck.Evaluation(), [1, 5, 2, 0, 3, 3, -1, 7, 0, 0, 9, 8, -2, 2, 8, 9], 1);

        GradientCheck.AssertClose([3, 2, 0, 8.5f], output, 1e-6);
    }

    [Fact]
    public void Forward_PaddedWindow_CountsThePaddingInTheDivisor()
    {
        using var model = SinglePool(new ImageShape(1, 2, 2), new WindowGeometry(2, 2, 1, 1), 1);

        var output = model.Forward(GradientCheck.Evaluation(), [4, 8, 12, 16], 1);

        GradientCheck.AssertClose([1, 2, 3, 4], output, 1e-6);
    }

    [Theory]
    [InlineData(2, 6, 6, 2, 2, 0)]
    [InlineData(2, 7, 5, 3, 2, 1)]
    [InlineData(1, 5, 7, 3, 1, 1)]
    public void Backward_Shapes_MatchesFiniteDifferences(int channels, int height, int width, int kernel, int stride, int padding)
    {
        var input = new ImageShape(channels, height, width);
        using var model = SinglePool(input, new WindowGeometry(kernel, stride, padding, 1), 2);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(2), GradientCheck.RandomValues(2 * input.Size, 32), 2);
    }
}
