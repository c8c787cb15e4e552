using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Training;

namespace DistributedTrainer.Tests.Devices;

/// <summary>
/// Jobs whose every layer has a device kernel: the reference MLP's kinds (dense, relu, dropout) and tanh, the normalizations,
/// recurrent layers, the image layers (upsampling too) and the skip connections.
/// </summary>
internal static class DeviceJobs
{
    /// <summary>
    /// <see cref="SyntheticJobs.Spec"/> (Adam with warm-up, clipping, L2) with a model of dense, relu, dropout, dense, tanh
    /// and dense layers.
    /// </summary>
    public static JobSpec Spec(int epochs = 3, int shard = 8)
    {
        var spec = SyntheticJobs.Spec(epochs, shard: shard);
        spec.Model = new ModelSpec
        {
            Layers =
            {
                new LayerSpec { Name = "fc1", Dense = new DenseSpec { Units = 16 } },
                new LayerSpec { Name = "act1", Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Relu } },
                new LayerSpec { Name = "drop", Dropout = new DropoutSpec { Rate = 0.2f } },
                new LayerSpec { Name = "fc2", Dense = new DenseSpec { Units = 12 } },
                new LayerSpec { Name = "act2", Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Tanh } },
                new LayerSpec { Name = "out", Dense = new DenseSpec { Units = 3 } },
            },
        };
        return spec;
    }

    /// <summary>
    /// <see cref="Spec"/> with a model of dense, batch norm, relu, dense, layer norm, tanh and dense layers: a device job
    /// with running statistics.
    /// </summary>
    public static JobSpec NormalizationSpec(int epochs = 3, int shard = 8)
    {
        var spec = SyntheticJobs.Spec(epochs, shard: shard);
        spec.Model = new ModelSpec
        {
            Layers =
            {
                new LayerSpec { Name = "fc1", Dense = new DenseSpec { Units = 16 } },
                new LayerSpec { Name = "bn", BatchNorm = new BatchNormSpec { Momentum = 0.2f } },
                new LayerSpec { Name = "act1", Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Relu } },
                new LayerSpec { Name = "fc2", Dense = new DenseSpec { Units = 12 } },
                new LayerSpec { Name = "ln", LayerNorm = new LayerNormSpec() },
                new LayerSpec { Name = "act2", Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Tanh } },
                new LayerSpec { Name = "out", Dense = new DenseSpec { Units = 3 } },
            },
        };
        return spec;
    }

    /// <summary>
    /// <see cref="Spec"/> with a model of dense, PReLU, a residual block (dense, leaky ReLU, dropout, dense), a highway
    /// block (dense, tanh) and dense layers: a device job with both skip connections and nested layers.
    /// </summary>
    public static JobSpec SkipSpec(int epochs = 3, int shard = 8)
    {
        var spec = SyntheticJobs.Spec(epochs, shard: shard);
        spec.Model = new ModelSpec
        {
            Layers =
            {
                new LayerSpec { Name = "stem", Dense = new DenseSpec { Units = 12 } },
                new LayerSpec { Name = "act", Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Prelu } },
                new LayerSpec
                {
                    Name = "block1",
                    Residual = new ResidualSpec
                    {
                        Layers =
                        {
                            new LayerSpec { Name = "fc", Dense = new DenseSpec { Units = 12 } },
                            new LayerSpec
                            {
                                Name = "act",
                                Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.LeakyRelu, NegativeSlope = 0.2f },
                            },
                            new LayerSpec { Name = "drop", Dropout = new DropoutSpec { Rate = 0.2f } },
                            new LayerSpec { Name = "proj", Dense = new DenseSpec { Units = 12 } },
                        },
                    },
                },
                new LayerSpec
                {
                    Name = "gate1",
                    Highway = new HighwaySpec
                    {
                        GateBias = -0.5f,
                        Layers =
                        {
                            new LayerSpec { Name = "fc", Dense = new DenseSpec { Units = 12 } },
                            new LayerSpec { Name = "act", Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Tanh } },
                        },
                    },
                },
                new LayerSpec { Name = "out", Dense = new DenseSpec { Units = 3 } },
            },
        };
        return spec;
    }

    /// <summary>
    /// <see cref="Spec"/> with a model of a two-layer bidirectional GRU giving every step (3 steps of 2 of the blobs'
    /// 6 features), dropout, a dense layer applied at every step, tanh and dense layers: a device job with every recurrent
    /// path but the LSTM's (which the fashion-mnist-lstm example covers).
    /// </summary>
    public static JobSpec SequenceSpec(int epochs = 3, int shard = 8)
    {
        var spec = SyntheticJobs.Spec(epochs, shard: shard);
        spec.Model = new ModelSpec
        {
            Layers =
            {
                new LayerSpec
                {
                    Name = "gru",
                    Gru = new RecurrentSpec
                    {
                        InputSize = 2, HiddenSize = 5, NumLayers = 2, Bidirectional = true, BpttSteps = 2,
                        Output = RecurrentSpec.Types.Output.Sequence,
                    },
                },
                new LayerSpec { Name = "drop", Dropout = new DropoutSpec { Rate = 0.2f } },
                new LayerSpec { Name = "step", Dense = new DenseSpec { Units = 4, StepFeatures = 10 } },
                new LayerSpec { Name = "act", Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Tanh } },
                new LayerSpec { Name = "out", Dense = new DenseSpec { Units = 3 } },
            },
        };
        return spec;
    }

    /// <summary>
    /// <see cref="Spec"/> with a small convolutional model over the 6-feature blobs read as 1x2x3 images: reshape, conv2d
    /// (4 maps, 2x2, padding 1), batch_norm2d, relu, max_pool2d (2x2, stride 1), dropout2d, conv2d (6 maps, 2x2, padding 1,
    /// no bias), tanh, avg_pool2d (2x2), flatten and dense: every image layer kind with a device kernel, in a job that
    /// trains in seconds.
    /// </summary>
    public static JobSpec ConvolutionSpec(int epochs = 3, int shard = 8)
    {
        var spec = SyntheticJobs.Spec(epochs, shard: shard);
        spec.Model = new ModelSpec
        {
            Layers =
            {
                new LayerSpec { Name = "image", Reshape = new ReshapeSpec { Channels = 1, Height = 2, Width = 3 } },
                new LayerSpec { Name = "conv1", Conv2D = new Conv2dSpec { OutChannels = 4, Kernel = 2, Padding = 1 } },
                new LayerSpec { Name = "bn1", BatchNorm2D = new BatchNormSpec { Momentum = 0.2f } },
                new LayerSpec { Name = "act1", Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Relu } },
                new LayerSpec { Name = "pool1", MaxPool2D = new Pool2dSpec { Kernel = 2, Stride = 1 } },
                new LayerSpec { Name = "drop1", Dropout2D = new DropoutSpec { Rate = 0.1f } },
                new LayerSpec { Name = "conv2", Conv2D = new Conv2dSpec { OutChannels = 6, Kernel = 2, Padding = 1, Bias = false } },
                new LayerSpec { Name = "act2", Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Tanh } },
                new LayerSpec { Name = "pool2", AvgPool2D = new Pool2dSpec { Kernel = 2 } },
                new LayerSpec { Name = "flat", Flatten = new FlattenSpec() },
                new LayerSpec { Name = "out", Dense = new DenseSpec { Units = 3 } },
            },
        };
        return spec;
    }

    /// <summary>
    /// <see cref="Spec"/> with a small decoder over the 6-feature blobs read as 1x2x3 images: reshape, conv_transpose2d
    /// (4 maps, 3x3, stride 2, padding 1, output padding 1: 4x4x6; its bias drawn in [-0.5, 0.5), not zeros, and batch
    /// norm after the relu, so that the bias counts), relu, batch_norm2d, conv_transpose2d (2 maps, 2x2, dilation 2, no bias: 2x6x8), tanh, conv2d (3 maps, 3x3, stride 2:
    /// 3x2x3), flatten and dense: every option of the transposed convolution, upsampling as a GAN generator does.
    /// </summary>
    public static JobSpec UpsamplingSpec(int epochs = 3, int shard = 8)
    {
        var spec = SyntheticJobs.Spec(epochs, shard: shard);
        spec.Model = new ModelSpec
        {
            Layers =
            {
                new LayerSpec { Name = "image", Reshape = new ReshapeSpec { Channels = 1, Height = 2, Width = 3 } },
                new LayerSpec
                {
                    Name = "up1",
                    ConvTranspose2D = new ConvTranspose2dSpec
                    {
                        OutChannels = 4, Kernel = 3, Stride = 2, Padding = 1, OutputPadding = 1,
                        BiasInit = new InitializerSpec { Kind = InitializerSpec.Types.Kind.Uniform, Low = -0.5f, High = 0.5f },
                    },
                },
                new LayerSpec { Name = "act1", Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Relu } },
                new LayerSpec { Name = "bn1", BatchNorm2D = new BatchNormSpec { Momentum = 0.2f } },
                new LayerSpec
                {
                    Name = "up2",
                    ConvTranspose2D = new ConvTranspose2dSpec { OutChannels = 2, Kernel = 2, Dilation = 2, Bias = false },
                },
                new LayerSpec { Name = "act2", Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Tanh } },
                new LayerSpec { Name = "conv", Conv2D = new Conv2dSpec { OutChannels = 3, Kernel = 3, Stride = 2 } },
                new LayerSpec { Name = "flat", Flatten = new FlattenSpec() },
                new LayerSpec { Name = "out", Dense = new DenseSpec { Units = 3 } },
            },
        };
        return spec;
    }
}
