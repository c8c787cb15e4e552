using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class FlattenTests
{
    [Fact]
    public void ForwardBackward_AnyRows_PassValuesThrough()
    {
        using var model = new Model([new Flatten("f", 10)], 3);
        model.Initialize(1);
        float[] x = GradientCheck.RandomValues(30, 43);
        float[] dy = GradientCheck.RandomValues(30, 44);
        float[] dx = new float[30];

        var y = model.Forward(GradientCheck.Training(3), x, 3).ToArray();
        model.Backward(GradientCheck.Training(3), dy, dx, 3);

        Assert.Equal(x, y);
        Assert.Equal(dy, dx);
    }
}
