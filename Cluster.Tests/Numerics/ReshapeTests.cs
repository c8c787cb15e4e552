using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class ReshapeTests
{
    [Fact]
    public void ForwardBackward_AnyRows_PassValuesThrough()
    {
        using var model = new Model([new Reshape("r", 12, new ImageShape(3, 2, 2))], 2);
        model.Initialize(1);
        float[] x = GradientCheck.RandomValues(24, 41);
        float[] dy = GradientCheck.RandomValues(24, 42);
        float[] dx = new float[24];

        var y = model.Forward(GradientCheck.Training(2), x, 2).ToArray();
        model.Backward(GradientCheck.Training(2), dy, dx, 2);

        Assert.Equal(x, y);
        Assert.Equal(dy, dx);
    }

    [Fact]
    public void Constructor_SizesDoNotMultiplyOut_ThrowsNamingBoth()
    {
        var error = Assert.Throws<ArgumentException>(() => new Reshape("r", 784, new ImageShape(1, 28, 27)));

        Assert.Contains("1x28x27 holds 756 features but the input has 784", error.Message, StringComparison.Ordinal);
    }
}
