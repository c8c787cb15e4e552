using DistributedTrainer.Devices.Kernels;
using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using ILGPU;
using ILGPU.Runtime;

namespace DistributedTrainer.Devices;

/// <summary>
/// A model's training passes on one accelerator: the device copy of its flat parameters and gradients (the layout of its
/// <see cref="ParameterStore"/>) and, when it has any, of its buffers and their changes, one device layer per layer, each
/// layer's output and two gradient buffers used in turn on the way back, all sized for <c>maxBatch</c> rows once.
/// </summary>
/// <remarks>
/// Only a chain of layers that have device kernels is accepted: embedding, reshape, conv2d, conv_transpose2d, max_pool2d,
/// avg_pool2d, batch norm 2d, dropout2d, flatten, dense (with time steps and DropConnect too), relu, leaky relu, prelu,
/// sigmoid, tanh, softmax, dropout, batch norm, layer norm, recurrent layers (rnn, lstm, gru), and residual and highway
/// blocks whose bodies hold only these. Any other layer, nested ones included, is refused by name with <see cref="UnsupportedOnDeviceException"/>
/// before anything is allocated on the device.
/// </remarks>
internal sealed class DeviceNetwork : IDisposable
{
    /// <summary>The layers a device worker runs, for messages.</summary>
    public const string Supported =
        "embedding, reshape, conv2d, conv_transpose2d, max_pool2d, avg_pool2d, batch_norm2d, dropout2d, flatten, dense, " +
        "relu, leaky_relu, prelu, sigmoid, tanh, softmax, dropout, batch_norm, layer_norm, rnn, lstm, gru, " +
        "and residual and highway blocks of these";

    // The model's top-level layers, chained as a block's body is.
    private readonly DeviceSequential? _chain;
    // The last layer's output, (maxBatch, OutputSize).
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _output;
    private readonly int _maxBatch;

    /// <param name="accelerator">Where everything lives.</param>
    /// <param name="kernels">The accelerator's kernels.</param>
    /// <param name="model">The model to mirror; read for its layers and layout only.</param>
    /// <param name="maxBatch">Most rows per pass.</param>
    /// <exception cref="UnsupportedOnDeviceException">A layer has no device kernel.</exception>
    public DeviceNetwork(Accelerator accelerator, DeviceKernels kernels, Model model, int maxBatch)
    {
        Check(model);
        _maxBatch = maxBatch;
        Parameters = accelerator.Allocate1D<float>(model.Store.Count);
        Gradients = accelerator.Allocate1D<float>(model.Store.Count);
        try
        {
            // A model without buffers gets none: a zero-length device allocation is not portable across backends.
            if (model.Store.BufferValues.Length > 0)
            {
                Buffers = accelerator.Allocate1D<float>(model.Store.BufferValues.Length);
                BufferChanges = accelerator.Allocate1D<float>(model.Store.BufferValues.Length);
            }
            _chain = BuildChain(accelerator, kernels, model, "model", model.Network.Children, maxBatch);
            _output = accelerator.Allocate1D<float>((long)maxBatch * model.OutputSize);
        }
        catch
        {
            Dispose();
            throw;
        }
        InputSize = model.InputSize;
        OutputSize = model.OutputSize;
    }

    /// <summary>The device copy of the model's flat parameters.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Parameters { get; }

    /// <summary>The flat gradients of the last backward pass, laid out as the parameters.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Gradients { get; }

    /// <summary>The device copy of the model's buffers (batch norm running statistics); null when it has none.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense>? Buffers { get; }

    /// <summary>
    /// What the last training forward pass changes in <see cref="Buffers"/>, (after - before) x rows, laid out as them;
    /// the buffers themselves stay as they were. Null when the model has no buffers.
    /// </summary>
    public MemoryBuffer1D<float, Stride1D.Dense>? BufferChanges { get; }

    /// <summary>Features per input row.</summary>
    public int InputSize { get; }

    /// <summary>Features per output row.</summary>
    public int OutputSize { get; }

    /// <summary>
    /// Throws <see cref="UnsupportedOnDeviceException"/> naming the first layer of <paramref name="model"/>, in pre-order
    /// (a block before its body), without a device kernel.
    /// </summary>
    public static void Check(Model model)
    {
        foreach (var layer in model.Layers)
        {
            string? reason = layer switch
            {
                Dense or Relu or LeakyRelu or ParametricRelu or Sigmoid or Tanh or Softmax or Dropout or BatchNorm or LayerNorm => null,
                Embedding => null,
                Reshape or Flatten or Conv2d or ConvTranspose2d or MaxPool2d or AvgPool2d or Dropout2d or BatchNorm2d => null,
                Recurrent => null,
                // A sequential is only ever the body of a block here (the root network is not among the layers).
                Residual or Highway or Sequential => null,
                _ => $"{layer.GetType().Name} has no device kernel",
            };
            if (reason is not null)
            {
                throw new UnsupportedOnDeviceException(
                    $"Layer '{model.FullNameOf(layer)}' cannot run on a device worker: {reason} (device workers run {Supported}; " +
                    "run this job on --device cpu workers)");
            }
        }
    }

    /// <summary>input (B, InputSize) on the device -> the output (B, OutputSize), a view valid until the next forward.</summary>
    public ArrayView<float> Forward(DeviceStep step, ArrayView<float> input, int batch)
    {
        CheckBatch(batch);
        var output = OutputOf(batch);
        _chain!.Forward(step, InputOf(input, batch), output, batch);
        return output;
    }

    /// <summary>
    /// Adds the gradient of the loss into <see cref="Gradients"/> given dL/d(output) (B, OutputSize) of the last
    /// <see cref="Forward"/> over <paramref name="input"/>.
    /// </summary>
    public void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> outputGradient, int batch)
    {
        CheckBatch(batch);
        // No input gradient: nothing lies below the first layer.
        _chain!.Backward(step, InputOf(input, batch), OutputOf(batch), outputGradient, default, batch);
    }

    private ArrayView<float> InputOf(ArrayView<float> input, int batch) => input.SubView(0, (long)batch * InputSize);

    private ArrayView<float> OutputOf(int batch) => _output!.View.SubView(0, (long)batch * OutputSize);

    private void CheckBatch(int batch)
    {
        if (batch < 1 || batch > _maxBatch)
        {
            throw new ArgumentException($"Invalid batch: {batch} rows (the device network holds 1 to {_maxBatch})", nameof(batch));
        }
    }

    private DeviceLayer Build(Accelerator accelerator, DeviceKernels kernels, Model model, Layer layer, int maxBatch)
    {
        string name = model.FullNameOf(layer);
        switch (layer)
        {
            case Dense dense:
                {
                    var (weight, bias) = ParametersOf(model, name);
                    var dropConnect = dense.DropConnect > 0
                        ? new DeviceDropConnect(accelerator, kernels, weight.Length, dense.DropConnect, layer.Index)
                        : null;
                    return new DeviceDense(kernels, name, dense.InputSize / dense.Steps, dense.OutputSize / dense.Steps,
                        ValuesOf(weight), ValuesOf(bias), GradientsOf(weight), GradientsOf(bias), dense.Steps, dropConnect);
                }
            case Embedding embedding:
                {
                    var weight = model.Store.Parameters.Single(view => view.LayerName == name);
                    return new DeviceEmbedding(kernels, name, layer.InputSize, embedding.Vocabulary, embedding.Dimensions,
                        ValuesOf(weight), GradientsOf(weight));
                }
            case Reshape or Flatten:
                return new DeviceIdentity(name, layer.InputSize);
            case Conv2d conv:
                {
                    var views = model.Store.Parameters.Where(view => view.LayerName == name).ToArray();
                    // weight, then bias when the layer has one, as Conv2d declares them.
                    var geometry = new ImageWindow(conv.InputShape, conv.OutputShape, conv.Window);
                    return conv.HasBias
                        ? new DeviceConv2d(accelerator, kernels, name, geometry, ValuesOf(views[0]), ValuesOf(views[1]),
                            GradientsOf(views[0]), GradientsOf(views[1]), maxBatch)
                        : new DeviceConv2d(accelerator, kernels, name, geometry, ValuesOf(views[0]), default,
                            GradientsOf(views[0]), default, maxBatch);
                }
            case ConvTranspose2d conv:
                {
                    var views = model.Store.Parameters.Where(view => view.LayerName == name).ToArray();
                    // weight, then bias when the layer has one, as ConvTranspose2d declares them.
                    var geometry = new ImageWindow(conv.InputShape, conv.OutputShape, conv.Window);
                    return new DeviceConvTranspose2d(accelerator, kernels, name, geometry, ValuesOf(views[0]),
                        conv.HasBias ? ValuesOf(views[1]) : default, GradientsOf(views[0]), conv.HasBias ? GradientsOf(views[1]) : default,
                        maxBatch);
                }
            case MaxPool2d pool:
                return new DeviceMaxPool2d(accelerator, kernels, name, new ImageWindow(pool.InputShape, pool.OutputShape, pool.Window),
                    maxBatch);
            case AvgPool2d pool:
                return new DeviceAvgPool2d(kernels, name, new ImageWindow(pool.InputShape, pool.OutputShape, pool.Window));
            case Relu:
                return new DeviceActivation(name, layer.InputSize, kernels.ReluForward, kernels.ReluBackward, backwardReadsOutput: false);
            case LeakyRelu leaky:
                return new DeviceLeakyRelu(kernels, name, layer.InputSize, leaky.Slope);
            case ParametricRelu:
                {
                    var slope = model.Store.Parameters.Single(view => view.LayerName == name);
                    return new DeviceParametricRelu(kernels, name, layer.InputSize, ValuesOf(slope), GradientsOf(slope));
                }
            case Sequential body:
                return BuildChain(accelerator, kernels, model, model.FullNameOf(body), body.Children, maxBatch);
            case Residual residual:
                return new DeviceResidual(accelerator, kernels, name,
                    Build(accelerator, kernels, model, residual.Children[0], maxBatch), maxBatch);
            case Highway highway:
                {
                    // gate.weight then gate.bias, as Highway declares them; the body's layers have names of their own.
                    var (weight, bias) = ParametersOf(model, name);
                    return new DeviceHighway(accelerator, kernels, name, Build(accelerator, kernels, model, highway.Children[0], maxBatch),
                        ValuesOf(weight), ValuesOf(bias), GradientsOf(weight), GradientsOf(bias), maxBatch);
                }
            case Sigmoid:
                return new DeviceActivation(name, layer.InputSize, kernels.SigmoidForward, kernels.SigmoidBackward, backwardReadsOutput: true);
            case Tanh:
                return new DeviceActivation(name, layer.InputSize, kernels.TanhForward, kernels.TanhBackward, backwardReadsOutput: true);
            case Softmax:
                return new DeviceSoftmax(kernels, name, layer.InputSize);
            case Dropout dropout:
                return new DeviceDropout(accelerator, kernels, name, layer.InputSize, dropout.Rate, layer.Index, maxBatch);
            case Dropout2d dropout:
                return new DeviceDropout(accelerator, kernels, name, layer.InputSize, dropout.Rate, layer.Index, maxBatch,
                    dropout.OutputShape.PlaneSize);
            case LayerNorm layerNorm:
                {
                    var (weight, bias) = ParametersOf(model, name);
                    return new DeviceLayerNorm(accelerator, kernels, name, layer.InputSize, layerNorm.Epsilon, ValuesOf(weight),
                        ValuesOf(bias), GradientsOf(weight), GradientsOf(bias), maxBatch);
                }
            case BatchNorm batchNorm:
                {
                    var (weight, bias) = ParametersOf(model, name);
                    var (buffers, changes) = BuffersOf(model, name);
                    return new DeviceBatchNorm(accelerator, kernels, name, layer.InputSize, batchNorm.Momentum, batchNorm.Epsilon,
                        ValuesOf(weight), ValuesOf(bias), GradientsOf(weight), GradientsOf(bias), buffers, changes, maxBatch);
                }
            case BatchNorm2d batchNorm:
                {
                    var (weight, bias) = ParametersOf(model, name);
                    var (buffers, changes) = BuffersOf(model, name);
                    return new DeviceBatchNorm(accelerator, kernels, name, batchNorm.OutputShape.Channels, batchNorm.Momentum,
                        batchNorm.Epsilon, ValuesOf(weight), ValuesOf(bias), GradientsOf(weight), GradientsOf(bias), buffers, changes,
                        maxBatch, batchNorm.OutputShape.PlaneSize);
                }
            case Recurrent recurrent:
                {
                    var views = model.Store.Parameters.Where(view => view.LayerName == name).ToArray();
                    return new DeviceRecurrent(accelerator, kernels, recurrent, name, [.. views.Select(ValuesOf)],
                        [.. views.Select(GradientsOf)], maxBatch);
                }
            default:
                throw new UnsupportedOnDeviceException($"Layer '{name}' ({layer.GetType().Name}) has no device kernel");
        }
    }

    /// <summary>A chain of layers (the model's top level, or a block's body named <paramref name="name"/>); the layers already built
    /// are disposed when a later one cannot be.</summary>
    private DeviceSequential BuildChain(Accelerator accelerator, DeviceKernels kernels, Model model, string name, IReadOnlyList<Layer> chain,
        int maxBatch)
    {
        var layers = new List<DeviceLayer>();
        try
        {
            foreach (var child in chain)
            {
                layers.Add(Build(accelerator, kernels, model, child, maxBatch));
            }
        }
        catch
        {
            foreach (var layer in layers)
            {
                layer.Dispose();
            }
            throw;
        }
        // It disposes the layers itself if its own scratch cannot be allocated.
        return new DeviceSequential(accelerator, name, layers, maxBatch);
    }

    /// <summary>The layer's two parameters, weight then bias, as the layers declare them.</summary>
    private static (ParameterView Weight, ParameterView Bias) ParametersOf(Model model, string name)
    {
        var views = model.Store.Parameters.Where(view => view.LayerName == name).ToArray();
        return (views[0], views[1]);
    }

    /// <summary>
    /// A batch norm's running_mean then running_var, consecutive in the buffer vector as the layers declare them, within
    /// the device buffers and within their changes.
    /// </summary>
    private (ArrayView<float> Buffers, ArrayView<float> Changes) BuffersOf(Model model, string name)
    {
        var views = model.Store.Buffers.Where(view => view.LayerName == name).ToArray();
        int offset = views[0].Offset;
        int length = views[0].Length + views[1].Length;
        return (Buffers!.View.SubView(offset, length), BufferChanges!.View.SubView(offset, length));
    }

    private ArrayView<float> ValuesOf(ParameterView view) => Parameters.View.SubView(view.Offset, view.Length);

    private ArrayView<float> GradientsOf(ParameterView view) => Gradients.View.SubView(view.Offset, view.Length);

    public void Dispose()
    {
        _chain?.Dispose();
        _output?.Dispose();
        BufferChanges?.Dispose();
        Buffers?.Dispose();
        Gradients.Dispose();
        Parameters.Dispose();
    }
}
