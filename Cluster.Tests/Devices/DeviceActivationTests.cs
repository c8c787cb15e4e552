using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>The activation kernels against <see cref="Relu"/>, <see cref="Sigmoid"/> and <see cref="Tanh"/> on the SIMD path.</summary>
public sealed class DeviceActivationTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    public static TheoryData<string, int> Cases()
    {
        var cases = new TheoryData<string, int>();
        foreach (string kind in new[] { "relu", "sigmoid", "tanh" })
        {
            foreach (int length in new[] { 1, 7, 64, 257 })
            {
                cases.Add(kind, length);
            }
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndBackward_AnyLength_MatchTheSimdLayerWithinTolerance(string kind, int length)
    {
        Layer cpu = kind switch
        {
            "relu" => new Relu("act", length),
            "sigmoid" => new Sigmoid("act", length),
            _ => new Tanh("act", length),
        };
        using var model = new Model([cpu], 1);
        // Spread over [-6, 6] so sigmoid and tanh reach their flat ends.
        var input = DeviceAssert.Random(length, length).Select(value => value * 6).ToArray();
        var outputGradient = DeviceAssert.Random(length, length + 1);
        var context = new StepContext { Training = true };
        var expectedOutput = model.Forward(context, input, 1).ToArray();
        var expectedInputGradient = new float[length];
        model.Backward(context, outputGradient, expectedInputGradient, 1);

        var kernels = device.Kernels;
        var layer = kind switch
        {
            "relu" => new DeviceActivation("act", length, kernels.ReluForward, kernels.ReluBackward, backwardReadsOutput: false),
            "sigmoid" => new DeviceActivation("act", length, kernels.SigmoidForward, kernels.SigmoidBackward, backwardReadsOutput: true),
            _ => new DeviceActivation("act", length, kernels.TanhForward, kernels.TanhBackward, backwardReadsOutput: true),
        };
        using var x = device.Upload(input);
        using var dy = device.Upload(outputGradient);
        using var y = device.Zeros<float>(length);
        using var dx = device.Zeros<float>(length);
        var step = new DeviceStep(0, 0, default);
        layer.Forward(step, x.View, y.View, 1);
        layer.Backward(step, x.View, y.View, dy.View, dx.View, 1);

        DeviceAssert.Close(expectedOutput, AcceleratorFixture.Download<float>(y.View), $"{kind} output");
        DeviceAssert.Close(expectedInputGradient, AcceleratorFixture.Download<float>(dx.View), $"{kind} input gradient");
    }
}
