using DistributedTrainer.Devices.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace DistributedTrainer.Devices.Layers;

/// <summary>
/// <see cref="Numerics.Layers.Dropout"/> and <see cref="Numerics.Layers.Dropout2d"/> on the device: in training with the
/// same counter-RNG masks (per element, or per channel of each sample), in evaluation the identity.
/// </summary>
internal sealed class DeviceDropout : DeviceLayer
{
    private readonly DeviceKernels _kernels;
    private readonly float _rate;
    private readonly int _index;
    private readonly int _plane;
    // (maxBatch, F): per-element factor of the last forward pass, 0 or 1/(1-rate).
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _mask;

    /// <param name="accelerator">Where the mask lives.</param>
    /// <param name="kernels">The accelerator's kernels.</param>
    /// <param name="name">Full layer name.</param>
    /// <param name="size">Features in and out.</param>
    /// <param name="rate">Probability of zeroing each activation, in [0, 1).</param>
    /// <param name="index">The layer's index in the model, a key of the counter RNG.</param>
    /// <param name="maxBatch">Most rows per pass.</param>
    /// <param name="plane">Elements that share a draw: 1 (dropout, the default) or H·W (dropout2d, whole channels).</param>
    public DeviceDropout(Accelerator accelerator, DeviceKernels kernels, string name, int size, float rate, int index, int maxBatch,
        int plane = 1)
        : base(name, size, size)
    {
        _plane = plane;
        _kernels = kernels;
        _rate = rate;
        _index = index;
        _mask = accelerator.Allocate1D<float>((long)maxBatch * size);
    }

    // input (B, F), sample ids (B) -> output (B, F)
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch)
    {
        if (!step.Training)
        {
            long length = (long)batch * InputSize;
            input.SubView(0, length).CopyTo(output.SubView(0, length));
            return;
        }
        // The same key as CounterRng.FillUniform(mask, seed, step, sample, layer).
        ulong counterHigh = ((ulong)(uint)step.Step << 32) | (uint)_index;
        _kernels.DropoutForward(batch * InputSize, output, _mask.View, input, step.SampleIds, InputSize, _plane, _rate,
            1f / (1f - _rate), step.Seed, counterHigh);
    }

    // outputGradient (B, F) -> inputGradient (B, F)
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        if (inputGradient.Length == 0)
        {
            return;
        }
        if (!step.Training)
        {
            long length = (long)batch * InputSize;
            outputGradient.SubView(0, length).CopyTo(inputGradient.SubView(0, length));
        }
        else
        {
            _kernels.DropoutBackward(batch * InputSize, inputGradient, _mask.View, outputGradient);
        }
    }

    public override void Dispose()
    {
        _mask.Dispose();
        base.Dispose();
    }
}
