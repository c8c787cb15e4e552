using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>Reshape and flatten on the device: the values and the gradients pass through as the SIMD layers pass them.</summary>
public sealed class DeviceIdentityTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    [Theory]
    [InlineData("reshape", 1)]
    [InlineData("reshape", 5)]
    [InlineData("flatten", 3)]
    public void ForwardAndBackward_AnyBatch_EqualTheSimdLayer(string kind, int batch)
    {
        var shape = new ImageShape(2, 3, 4);
        Layer layer = kind == "reshape" ? new Reshape("shape", shape.Size, shape) : new Flatten("shape", shape.Size);
        using var model = new Model([layer], batch);
        var input = DeviceAssert.Random(batch * shape.Size, 1);
        var outputGradient = DeviceAssert.Random(batch * shape.Size, 2);

        var expected = DeviceLayerPass.Simd(model, input, outputGradient, batch);
        var actual = DeviceLayerPass.Device(device, model, (_, _) => new DeviceIdentity("shape", shape.Size), input, outputGradient, batch);

        Assert.Equal(expected.Output, actual.Output);
        Assert.Equal(expected.InputGradient, actual.InputGradient);
    }
}
