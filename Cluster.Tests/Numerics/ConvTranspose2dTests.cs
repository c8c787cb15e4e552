using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class ConvTranspose2dTests
{
    [Theory]
    [InlineData(1, 0, 0, 1, true)]
    [InlineData(2, 1, 1, 1, true)]
    [InlineData(3, 0, 2, 2, false)]
    public void Backward_Window_MatchesCentralDifferences(int stride, int padding, int outputPadding, int dilation, bool bias)
    {
        using var model = new Model([new ConvTranspose2d("t", new ImageShape(2, 3, 4), 3, new WindowGeometry(3, stride, padding, dilation),
            outputPadding, bias, new LayerTestInitializer(), new LayerTestInitializer())], 2);
        model.Initialize(21);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(2), GradientCheck.RandomValues(2 * 24, 22), 2);
    }

    [Fact]
    public void Constructor_GanUpsample_DoublesTheSides()
    {
        using var layer = new ConvTranspose2d("t", new ImageShape(8, 7, 7), 4, new WindowGeometry(4, 2, 1, 1), 0, true,
            new LayerTestInitializer(), new LayerTestInitializer());

        Assert.Equal(new ImageShape(4, 14, 14), layer.OutputShape);
    }

    [Fact]
    public void Constructor_OutputPaddingNotBelowStride_ThrowsNamingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => new ConvTranspose2d("up", new ImageShape(1, 3, 3), 1,
            new WindowGeometry(3, 2, 0, 1), 2, true, new LayerTestInitializer(), new LayerTestInitializer()));

        Assert.Contains("Invalid output padding for conv_transpose2d layer 'up': 2 (must be in [0, stride 2))", error.Message, StringComparison.Ordinal);
    }
}
