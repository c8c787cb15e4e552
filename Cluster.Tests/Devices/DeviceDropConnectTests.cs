using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Tests.Numerics;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>
/// The dense layer with DropConnect on the device against <see cref="Dense"/> on the SIMD kernels: bitwise the same mask
/// from the same counter-RNG keys, and the passes through it within the dense kernels' tolerance.
/// </summary>
public sealed class DeviceDropConnectTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    // The keys: the dense layer at index 3 (three activations before it), a seed, and a step that fills more than a
    // byte of its word of the counter.
    private const int Index = 3;
    private const ulong Seed = 42;
    private const long Step = 12_345;

    [Theory]
    [InlineData(7, 9, 0.5f)]
    [InlineData(33, 5, 0.2f)]
    [InlineData(130, 3, 0.9f)]
    public void Draw_SameKeys_GivesTheSimdLayersMaskAndMaskedWeightsBitwise(int inputs, int units, float rate)
    {
        // Row k of the input the unit vector e_k and a zero bias: row k of the CPU layer's output is column k of its masked
        // weights, exactly (every other product is zero).
        int batch = inputs;
        using var model = DropConnectModel(batch, inputs, units, rate, steps: 1);
        model.Store.ValuesOf(model.Store.Parameters[1]).Clear();
        var weight = model.Store.ValuesOf(model.Store.Parameters[0]).ToArray();
        var identity = new float[batch * inputs];
        for (int k = 0; k < inputs; k++)
        {
            identity[k * inputs + k] = 1f;
        }
        var output = model.Forward(new StepContext { Training = true, Seed = Seed, Step = Step }, identity, batch).ToArray();
        float[] expected = [.. Enumerable.Range(0, units * inputs).Select(j => output[j % inputs * units + j / inputs])];

        using var weights = device.Upload(weight);
        using var dropConnect = new DeviceDropConnect(device.Accelerator, device.Kernels, weight.Length, rate, Index);
        var masked = AcceleratorFixture.Download<float>(dropConnect.Draw(new DeviceStep(Seed, Step, default), weights.View));
        var mask = AcceleratorFixture.Download<float>(dropConnect.Mask);

        Assert.Equal(expected, masked);
        // No weight is zero, so the CPU layer kept weight j exactly where its masked weight is not zero.
        Assert.DoesNotContain(0f, weight);
        float keep = 1f / (1f - rate);
        Assert.Equal(expected.Select(value => value != 0f ? keep : 0f), mask);
        Assert.Contains(0f, mask);
        Assert.Contains(keep, mask);
    }

    [Theory]
    // batch, steps, inputs, units, rate, training
    [InlineData(1, 1, 1, 1, 0.5f, true)]
    [InlineData(3, 1, 7, 5, 0.2f, true)]
    [InlineData(17, 1, 33, 9, 0.5f, true)]
    [InlineData(4, 3, 9, 10, 0.3f, true)] // time steps share one mask, as they share the weights
    [InlineData(3, 1, 7, 5, 0.5f, false)] // evaluation: the weights as they are
    public void ForwardAndBackward_SameKeys_MatchTheSimdLayerWithinTolerance(int batch, int steps, int inputs, int units, float rate,
        bool training)
    {
        using var model = DropConnectModel(batch, inputs, units, rate, steps);
        // Positive inputs: the relus before the dense layer pass them and their gradients unchanged.
        var input = DeviceAssert.Random(batch * model.InputSize, 1).Select(value => value + 2f).ToArray();
        var outputGradient = DeviceAssert.Random(batch * model.OutputSize, 2);
        var (weight, bias) = (model.Store.Parameters[0], model.Store.Parameters[1]);

        var expected = DeviceLayerPass.Simd(model, input, outputGradient, batch, Seed, Step, training);
        var actual = DeviceLayerPass.Device(device, model, (parameters, gradients) =>
            new DeviceDense(device.Kernels, "fc", inputs, units, parameters.SubView(weight.Offset, weight.Length),
                parameters.SubView(bias.Offset, bias.Length), gradients.SubView(weight.Offset, weight.Length),
                gradients.SubView(bias.Offset, bias.Length), steps,
                new DeviceDropConnect(device.Accelerator, device.Kernels, weight.Length, rate, Index)),
            input, outputGradient, batch, Seed, Step, training);

        DeviceAssert.Close(expected.Output, actual.Output, "output");
        DeviceAssert.Close(expected.Gradients, actual.Gradients, "weight and bias gradients");
        DeviceAssert.Close(expected.InputGradient, actual.InputGradient, "input gradient");
        // A dropped weight gets no gradient on either.
        Assert.Equal(expected.Gradients.Select(value => value == 0f), actual.Gradients.Select(value => value == 0f));
    }

    // Three relus, then the dense layer (index 3) with DropConnect.
    private static Model DropConnectModel(int batch, int inputs, int units, float rate, int steps)
    {
        int features = steps * inputs;
        var model = new Model([new Relu("a", features), new Relu("b", features), new Relu("c", features),
            new Dense("fc", inputs, units, new LayerTestInitializer(), new LayerTestInitializer(), rate, steps)], batch);
        model.Initialize(7);
        return model;
    }
}
