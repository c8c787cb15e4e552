using ILGPU;
using ILGPU.Runtime;

namespace DistributedTrainer.Devices.Layers;

/// <summary>
/// <see cref="Numerics.Layers.Sequential"/> on the device, a model's top-level chain or the body of a residual or highway
/// block: each layer fed the previous one's output, the activations between them and two gradient buffers used in turn on
/// the way back held here; the last layer writes straight into the caller's output.
/// </summary>
internal sealed class DeviceSequential : DeviceLayer
{
    private readonly DeviceLayer[] _layers;
    // Output of layer i for i < n - 1, (maxBatch, layers[i].OutputSize) each.
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _activations = [];
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _gradientEven;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _gradientOdd;

    /// <param name="accelerator">Where the scratch lives.</param>
    /// <param name="name">Full name of the block the chain is the body of, or "model" for a model's top level.</param>
    /// <param name="layers">The chain, at least one layer, each taking the previous one's output; disposed with this.</param>
    /// <param name="maxBatch">Most rows per pass.</param>
    public DeviceSequential(Accelerator accelerator, string name, IReadOnlyList<DeviceLayer> layers, int maxBatch)
        : base(name, layers[0].InputSize, layers[^1].OutputSize)
    {
        _layers = [.. layers];
        try
        {
            _activations = [.. _layers[..^1].Select(layer => accelerator.Allocate1D<float>((long)maxBatch * layer.OutputSize))];
            if (_layers.Length > 1)
            {
                int widestInner = _layers.Skip(1).Max(layer => layer.InputSize);
                _gradientEven = accelerator.Allocate1D<float>((long)maxBatch * widestInner);
                _gradientOdd = accelerator.Allocate1D<float>((long)maxBatch * widestInner);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    // input (B, layers[0].InputSize) -> output (B, layers[^1].OutputSize)
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch)
    {
        for (int i = 0; i < _layers.Length; i++)
        {
            _layers[i].Forward(step, InputOf(i, input, batch), OutputOf(i, output, batch), batch);
        }
    }

    // outputGradient (B, OutputSize) -> inputGradient (B, InputSize); the layers' parameter gradients += ...
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        var gradient = outputGradient;
        for (int i = _layers.Length - 1; i >= 0; i--)
        {
            // forward: a_i = layer_i(a_{i-1})  =>  da_{i-1} = layer_i.Backward(da_i)
            var previous = i == 0
                ? inputGradient
                : (ArrayView<float>)(i % 2 == 0 ? _gradientEven! : _gradientOdd!).View.SubView(0, (long)batch * _layers[i].InputSize);
            _layers[i].Backward(step, InputOf(i, input, batch), OutputOf(i, output, batch), gradient, previous, batch);
            gradient = previous;
        }
    }

    private ArrayView<float> InputOf(int i, ArrayView<float> input, int batch) =>
        i == 0 ? input : _activations[i - 1].View.SubView(0, (long)batch * _layers[i].InputSize);

    private ArrayView<float> OutputOf(int i, ArrayView<float> output, int batch) =>
        i == _layers.Length - 1 ? output : _activations[i].View.SubView(0, (long)batch * _layers[i].OutputSize);

    public override void Dispose()
    {
        foreach (var layer in _layers)
        {
            layer.Dispose();
        }
        foreach (var activation in _activations)
        {
            activation?.Dispose();
        }
        _gradientEven?.Dispose();
        _gradientOdd?.Dispose();
        base.Dispose();
    }
}
