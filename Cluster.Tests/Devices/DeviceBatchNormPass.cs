using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using DeviceBuffer = ILGPU.Runtime.MemoryBuffer1D<float, ILGPU.Stride1D.Dense>;

namespace DistributedTrainer.Tests.Devices;

/// <summary>
/// A device batch norm layer (momentum 0.3, epsilon 1e-5) over copies of a one-layer model's parameters and of
/// <c>buffers</c>, with its tensors: <c>features</c> normalized features of <c>plane</c> positions each (null: plain
/// batch norm, one position, as <see cref="BatchNorm"/>; H·W for <see cref="BatchNorm2d"/>).
/// </summary>
internal sealed class DeviceBatchNormPass : IDisposable
{
    private readonly int _batch;
    private readonly DeviceBatchNorm _layer;
    private readonly DeviceBuffer _parameters, _buffers, _input, _outputGradient;

    public DeviceBatchNormPass(AcceleratorFixture device, Model model, int features, int? plane, float[] buffers, float[] input,
        float[] outputGradient, int batch)
    {
        _batch = batch;
        var (weight, bias) = (model.Store.Parameters[0], model.Store.Parameters[1]);
        _parameters = device.Upload(model.Store.Values.ToArray());
        _buffers = device.Upload(buffers);
        _input = device.Upload(input);
        _outputGradient = device.Upload(outputGradient);
        Gradients = device.Zeros<float>(model.Store.Count);
        BufferChange = device.Zeros<float>(2 * features);
        Output = device.Zeros<float>(batch * model.InputSize);
        InputGradient = device.Zeros<float>(batch * model.InputSize);
        _layer = new DeviceBatchNorm(device.Accelerator, device.Kernels, "bn", features, 0.3f, 1e-5f,
            _parameters.View.SubView(weight.Offset, weight.Length), _parameters.View.SubView(bias.Offset, bias.Length),
            Gradients.View.SubView(weight.Offset, weight.Length), Gradients.View.SubView(bias.Offset, bias.Length),
            _buffers.View, BufferChange.View, batch, plane);
    }

    public DeviceBuffer Gradients { get; }

    public DeviceBuffer BufferChange { get; }

    public DeviceBuffer Output { get; }

    public DeviceBuffer InputGradient { get; }

    public void Run(bool training)
    {
        var step = new DeviceStep(0, 0, default, training);
        _layer.Forward(step, _input.View, Output.View, _batch);
        _layer.Backward(step, _input.View, Output.View, _outputGradient.View, InputGradient.View, _batch);
    }

    public void Dispose()
    {
        _layer.Dispose();
        foreach (var buffer in new[] { _parameters, _buffers, _input, _outputGradient, Gradients, BufferChange, Output, InputGradient })
        {
            buffer.Dispose();
        }
    }
}
