using DistributedTrainer.Devices.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace DistributedTrainer.Devices.Layers;

/// <summary>
/// The DropConnect of a <see cref="DeviceDense"/>: the mask of its weights for a training step, drawn as the CPU layer draws
/// it (<see cref="DropConnectKernels"/>), and the masked weights the layer's GEMMs then read instead of its own.
/// </summary>
internal sealed class DeviceDropConnect : IDisposable
{
    // (sample -1) << 24: the low half of the counter of draw 0, as CounterRng.FillUniform keys a mask shared by all rows.
    private const ulong SharedSampleBits = unchecked((ulong)-1L) << 24;

    private readonly DeviceKernels _kernels;
    private readonly float _rate;
    private readonly int _index;
    // (O, I): the per-weight factor, 0 or 1/(1-rate), and the weights times it, of the last draw.
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _mask;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _maskedWeight;

    /// <param name="accelerator">Where the mask lives.</param>
    /// <param name="kernels">The accelerator's kernels.</param>
    /// <param name="weights">Weights of the layer, O·I.</param>
    /// <param name="rate">Probability of dropping each weight, in (0, 1).</param>
    /// <param name="index">The dense layer's index in the model, a key of the counter RNG.</param>
    public DeviceDropConnect(Accelerator accelerator, DeviceKernels kernels, int weights, float rate, int index)
    {
        _kernels = kernels;
        _rate = rate;
        _index = index;
        _mask = accelerator.Allocate1D<float>(weights);
        try
        {
            _maskedWeight = accelerator.Allocate1D<float>(weights);
        }
        catch
        {
            _mask.Dispose();
            throw;
        }
    }

    /// <summary>The per-weight factor of the last <see cref="Draw"/>, 0 or 1/(1-rate).</summary>
    public ArrayView<float> Mask => _mask.View;

    /// <summary>The weights times <see cref="Mask"/>, as the last <see cref="Draw"/> gave them.</summary>
    public ArrayView<float> MaskedWeight => _maskedWeight.View;

    /// <summary>
    /// Draws the step's mask over <paramref name="weight"/> (O, I) and gives the masked weights. Every forward pass draws
    /// again rather than keeping a key: the mask is a pure function of (seed, step, layer), so every micro-batch of a step
    /// gets the same one, and the weights it multiplies are read fresh.
    /// </summary>
    public ArrayView<float> Draw(DeviceStep step, ArrayView<float> weight)
    {
        // The same key as CounterRng.FillUniform(mask, seed, step, sample: -1, layer).
        ulong counterHigh = ((ulong)(uint)step.Step << 32) | (uint)_index;
        _kernels.DropConnectMask((int)_mask.Length, _maskedWeight.View, _mask.View, weight, _rate, 1f / (1f - _rate), step.Seed,
            counterHigh, SharedSampleBits);
        return _maskedWeight.View;
    }

    public void Dispose()
    {
        _maskedWeight.Dispose();
        _mask.Dispose();
    }
}
