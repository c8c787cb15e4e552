using DistributedTrainer.Devices.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace DistributedTrainer.Devices.Layers;

/// <summary><see cref="Numerics.Layers.Residual"/> on the device: y = x + f(x), the body f a chain of device layers.</summary>
internal sealed class DeviceResidual : DeviceLayer
{
    private readonly DeviceKernels _kernels;
    private readonly DeviceLayer _body;
    // (maxBatch, F): f(x), kept apart from y because the body's backward needs its own output.
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _bodyOutput;

    /// <param name="accelerator">Where the scratch lives.</param>
    /// <param name="kernels">The accelerator's kernels.</param>
    /// <param name="name">Full layer name.</param>
    /// <param name="body">f, keeping the feature count; disposed with this.</param>
    /// <param name="maxBatch">Most rows per pass.</param>
    public DeviceResidual(Accelerator accelerator, DeviceKernels kernels, string name, DeviceLayer body, int maxBatch)
        : base(name, body.InputSize, body.InputSize)
    {
        _kernels = kernels;
        _body = body;
        try
        {
            _bodyOutput = accelerator.Allocate1D<float>((long)maxBatch * body.OutputSize);
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    // input (B, F) -> output (B, F)
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch)
    {
        var bodyOutput = _bodyOutput.View.SubView(0, (long)batch * InputSize);
        _body.Forward(step, input, bodyOutput, batch);
        _kernels.ResidualForward(batch * InputSize, output, input, bodyOutput);
    }

    // outputGradient (B, F) -> inputGradient (B, F); the body's parameter gradients += ...
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        // forward: y = x + f(x)  =>  dx = dy + f'(x)^T dy
        _body.Backward(step, input, _bodyOutput.View.SubView(0, (long)batch * InputSize), outputGradient, inputGradient, batch);
        if (inputGradient.Length > 0)
        {
            _kernels.Accumulate(batch * InputSize, inputGradient, outputGradient);
        }
    }

    public override void Dispose()
    {
        _bodyOutput.Dispose();
        _body.Dispose();
        base.Dispose();
    }
}
