using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using ILGPU.Runtime;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>The recurrent kernels (<see cref="DeviceRecurrent"/>) against <see cref="Recurrent"/> on the SIMD kernels.</summary>
public sealed class DeviceRecurrentTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    // The projections sum in another order than the blocked GEMM, and the cells call MathF's exp and tanh where the CPU
    // cells call TensorPrimitives' vectorized ones, so values differ by a few ulps per step, carried through the steps.
    // On the CPU accelerator the largest difference over these shapes is 9.5e-7 (7e-7 x (1 + |expected|), a parameter
    // gradient of the two-layer bidirectional GRU); 1e-5 x (1 + |expected|), the dense kernels' tolerance, leaves room for
    // a GPU's exp and tanh over more steps.
    private const float Tolerance = 1e-5f;

    [Theory]
    [InlineData(RecurrentKind.RnnTanh, RecurrentOutput.Last, 1, 1, 1, 1, 1, false, 0)]
    [InlineData(RecurrentKind.RnnTanh, RecurrentOutput.Last, 3, 5, 4, 7, 1, false, 0)]
    [InlineData(RecurrentKind.RnnTanh, RecurrentOutput.Sequence, 3, 5, 4, 7, 1, false, 0)]
    [InlineData(RecurrentKind.RnnRelu, RecurrentOutput.Mean, 4, 6, 3, 9, 1, false, 0)]
    [InlineData(RecurrentKind.RnnTanh, RecurrentOutput.Sequence, 2, 6, 3, 5, 2, true, 4)]
    [InlineData(RecurrentKind.Lstm, RecurrentOutput.Last, 3, 5, 4, 7, 1, false, 0)]
    [InlineData(RecurrentKind.Lstm, RecurrentOutput.Sequence, 3, 5, 4, 7, 1, false, 0)]
    [InlineData(RecurrentKind.Lstm, RecurrentOutput.Mean, 2, 7, 3, 6, 2, true, 3)]
    [InlineData(RecurrentKind.Gru, RecurrentOutput.Last, 3, 5, 4, 7, 1, false, 0)]
    [InlineData(RecurrentKind.Gru, RecurrentOutput.Sequence, 3, 5, 4, 7, 1, false, 0)]
    [InlineData(RecurrentKind.Gru, RecurrentOutput.Last, 2, 6, 5, 4, 2, true, 2)]
    public void ForwardAndBackward_RandomInputs_MatchTheSimdLayerWithinTolerance(RecurrentKind kind, RecurrentOutput output,
        int batch, int steps, int stepSize, int hiddenSize, int numLayers, bool bidirectional, int bpttSteps)
    {
        var recurrent = new Recurrent("rnn", steps * stepSize, kind, stepSize, hiddenSize, numLayers, bidirectional, output,
            bpttSteps);
        using var model = new Model([recurrent], batch);
        model.Initialize(7);
        // Random biases too (the CPU layer starts them at zero), so that their gradients and the gates depend on them.
        DeviceAssert.Random(model.Store.Count, 3).CopyTo(model.Store.Values);
        var input = DeviceAssert.Random(batch * model.InputSize, 1);
        var outputGradient = DeviceAssert.Random(batch * model.OutputSize, 2);
        var context = new StepContext { Training = true };
        var expectedOutput = model.Forward(context, input, batch).ToArray();
        var expectedInputGradient = new float[batch * model.InputSize];
        model.ZeroGradients();
        model.Backward(context, outputGradient, expectedInputGradient, batch);

        var views = model.Store.Parameters;
        using var parameters = device.Upload(model.Store.Values.ToArray());
        using var gradients = device.Zeros<float>(model.Store.Count);
        using var x = device.Upload(input);
        using var dy = device.Upload(outputGradient);
        using var y = device.Zeros<float>(batch * model.OutputSize);
        using var dx = device.Zeros<float>(batch * model.InputSize);
        using var layer = new DeviceRecurrent(device.Accelerator, device.Kernels, recurrent, "rnn",
            [.. views.Select(view => parameters.View.SubView(view.Offset, view.Length))],
            [.. views.Select(view => gradients.View.SubView(view.Offset, view.Length))], batch);
        var step = new DeviceStep(0, 0, default);
        layer.Forward(step, x.View, y.View, batch);
        layer.Backward(step, x.View, y.View, dy.View, dx.View, batch);

        DeviceAssert.Close(expectedOutput, AcceleratorFixture.Download<float>(y.View), "output", Tolerance);
        DeviceAssert.Close(model.Store.Gradients, AcceleratorFixture.Download<float>(gradients.View), "parameter gradients", Tolerance);
        DeviceAssert.Close(expectedInputGradient, AcceleratorFixture.Download<float>(dx.View), "input gradient", Tolerance);
    }

    [Theory]
    [InlineData(RecurrentKind.Lstm)]
    [InlineData(RecurrentKind.Gru)]
    public void Backward_TwoRuns_GiveBitwiseTheSameGradients(RecurrentKind kind)
    {
        const int batch = 3, steps = 4, stepSize = 5, hiddenSize = 6;
        var recurrent = new Recurrent("rnn", steps * stepSize, kind, stepSize, hiddenSize);
        using var model = new Model([recurrent], batch);
        model.Initialize(7);
        var views = model.Store.Parameters;
        using var parameters = device.Upload(model.Store.Values.ToArray());
        using var gradients = device.Zeros<float>(model.Store.Count);
        using var x = device.Upload(DeviceAssert.Random(batch * model.InputSize, 1));
        using var dy = device.Upload(DeviceAssert.Random(batch * model.OutputSize, 2));
        using var y = device.Zeros<float>(batch * model.OutputSize);
        using var dx = device.Zeros<float>(batch * model.InputSize);
        using var layer = new DeviceRecurrent(device.Accelerator, device.Kernels, recurrent, "rnn",
            [.. views.Select(view => parameters.View.SubView(view.Offset, view.Length))],
            [.. views.Select(view => gradients.View.SubView(view.Offset, view.Length))], batch);
        var step = new DeviceStep(0, 0, default);
        float[] Run()
        {
            gradients.MemSetToZero();
            layer.Forward(step, x.View, y.View, batch);
            layer.Backward(step, x.View, y.View, dy.View, dx.View, batch);
            return [.. AcceleratorFixture.Download<float>(gradients.View), .. AcceleratorFixture.Download<float>(dx.View)];
        }

        var first = Run();
        var second = Run();

        Assert.Equal(first, second);
    }
}
