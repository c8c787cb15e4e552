using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using ILGPU;

namespace DistributedTrainer.Tests.Devices;

/// <summary>
/// One forward and backward pass of a one-layer model (training unless told, the counter RNG keyed by seed and step 0
/// unless told), on the SIMD layer and on its device layer over copies of the model's parameters: the output, the input
/// gradient and the flat parameter gradients of each.
/// </summary>
internal static class DeviceLayerPass
{
    /// <summary>What a pass gives: output (B, O), input gradient (B, I), parameter gradients laid out as the store.</summary>
    public sealed record Result(float[] Output, float[] InputGradient, float[] Gradients);

    /// <summary>The pass on the model's own layer (the SIMD kernels), gradients zeroed first.</summary>
    public static Result Simd(Model model, float[] input, float[] outputGradient, int batch, ulong seed = 0, long step = 0,
        bool training = true)
    {
        var context = new StepContext { Training = training, Seed = seed, Step = step };
        var output = model.Forward(context, input, batch).ToArray();
        var inputGradient = new float[batch * model.InputSize];
        model.ZeroGradients();
        model.Backward(context, outputGradient, inputGradient, batch);
        return new Result(output, inputGradient, model.Store.Gradients.ToArray());
    }

    /// <summary>
    /// The pass on the device layer <paramref name="build"/> makes from the device parameters and zeroed gradients (both
    /// laid out as the model's store).
    /// </summary>
    public static Result Device(AcceleratorFixture device, Model model, Func<ArrayView<float>, ArrayView<float>, DeviceLayer> build,
        float[] input, float[] outputGradient, int batch, ulong seed = 0, long step = 0, bool training = true)
    {
        // A model without parameters still gets one float each, as a zero-length device allocation is not portable.
        using var parameters = model.Store.Count > 0 ? device.Upload(model.Store.Values.ToArray()) : device.Zeros<float>(1);
        using var gradients = device.Zeros<float>(Math.Max(model.Store.Count, 1));
        using var x = device.Upload(input);
        using var dy = device.Upload(outputGradient);
        using var y = device.Zeros<float>(batch * model.OutputSize);
        using var dx = device.Zeros<float>(batch * model.InputSize);
        using var layer = build(parameters.View, gradients.View);
        var keys = new DeviceStep(seed, step, default, training);
        layer.Forward(keys, x.View, y.View, batch);
        layer.Backward(keys, x.View, y.View, dy.View, dx.View, batch);
        return new Result(AcceleratorFixture.Download<float>(y.View), AcceleratorFixture.Download<float>(dx.View),
            AcceleratorFixture.Download<float>(gradients.View.SubView(0, model.Store.Count)));
    }
}
