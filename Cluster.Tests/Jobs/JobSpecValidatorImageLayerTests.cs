using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using Xunit;
using Activation = DistributedTrainer.Protos.V1.ActivationSpec.Types.Kind;

namespace DistributedTrainer.Tests.Jobs;

/// <summary>The image layers of a job spec (reshape, conv2d, max_pool2d, avg_pool2d, flatten) through the validator.</summary>
public class JobSpecValidatorImageLayerTests
{
    private static readonly string ExistingFile = typeof(JobSpecValidatorImageLayerTests).Assembly.Location;
    private static readonly DataShape FashionMnist = new(784, 10);

    // Each case is one small change to LeNet() and the one error it must cause.
    private static readonly Dictionary<string, InvalidCase> InvalidCases = new()
    {
        ["reshape sizes do not multiply out"] = new(
            s => s.Model.Layers[0].Reshape.Width = 27, "model.layers[0].reshape", "1x28x27 holds 756 features but the input has 784"),
        ["reshape channels 0"] = new(s => s.Model.Layers[0].Reshape.Channels = 0, "model.layers[0].reshape.channels", "must be >= 1, got 0"),
        ["conv without image"] = new(s => s.Model.Layers.RemoveAt(0), "model.layers[0].conv2d", "needs an image input"),
        ["conv after flatten"] = new(
            s =>
            {
                s.Model.Layers.Insert(4, new LayerSpec { Flatten = new FlattenSpec() });
                s.Model.Layers.RemoveAt(7);
            },
            "model.layers[5].conv2d",
            "needs an image input"),
        ["pool after flatten"] = new(
            s => s.Model.Layers.Insert(6, new LayerSpec { Flatten = new FlattenSpec() }), "model.layers[7].max_pool2d", "needs an image input"),
        ["conv after dense"] = new(
            s => s.Model.Layers.Insert(1, Dense(784)), "model.layers[2].conv2d", "needs an image input"),
        ["conv kernel larger than padded input"] = new(
            s => s.Model.Layers[4].Conv2D.Kernel = 15, "model.layers[4].conv2d.kernel", "kernel 15 is larger than the input 6x14x14 padded by 0 (14x14)"),
        ["conv dilated kernel larger than input"] = new(
            s => s.Model.Layers[4].Conv2D.Dilation = 4, "model.layers[4].conv2d.kernel", "span 17"),
        ["conv_transpose2d without image"] = new(
            s => s.Model.Layers.Insert(0, Deconv(new ConvTranspose2dSpec { OutChannels = 1, Kernel = 1 })),
            "model.layers[0].conv_transpose2d",
            "needs an image input"),
        ["conv_transpose2d output_padding not below stride"] = new(
            s => s.Model.Layers.Insert(4, Deconv(new ConvTranspose2dSpec { OutChannels = 6, Kernel = 1, Stride = 2, OutputPadding = 2 })),
            "model.layers[4].conv_transpose2d.output_padding",
            "must be < stride (2), got 2"),
        ["conv_transpose2d padding removes the output"] = new(
            s => s.Model.Layers.Insert(4, Deconv(new ConvTranspose2dSpec { OutChannels = 6, Kernel = 1, Padding = 7 })),
            "model.layers[4].conv_transpose2d.padding",
            "7 removes the whole output of the input 6x14x14 (output 0x0)"),
        ["conv kernel 0"] = new(s => s.Model.Layers[1].Conv2D.Kernel = 0, "model.layers[1].conv2d.kernel", "must be > 0, got 0"),
        ["conv stride 0"] = new(s => s.Model.Layers[1].Conv2D.Stride = 0, "model.layers[1].conv2d.stride", "must be > 0, got 0"),
        ["conv padding negative"] = new(s => s.Model.Layers[1].Conv2D.Padding = -1, "model.layers[1].conv2d.padding", "must be >= 0, got -1"),
        ["conv dilation 0"] = new(s => s.Model.Layers[1].Conv2D.Dilation = 0, "model.layers[1].conv2d.dilation", "must be >= 1, got 0"),
        ["conv out channels 0"] = new(s => s.Model.Layers[1].Conv2D.OutChannels = 0, "model.layers[1].conv2d.out_channels", "must be > 0, got 0"),
        ["pool kernel larger than input"] = new(
            s => s.Model.Layers[6].MaxPool2D.Kernel = 12, "model.layers[6].max_pool2d.kernel", "kernel 12 is larger than the input 16x10x10"),
        ["pool padding over half the kernel"] = new(
            s => s.Model.Layers[3].MaxPool2D.Padding = 2, "model.layers[3].max_pool2d.padding", "must be <= kernel / 2 (1), got 2"),
        ["avg pool without image"] = new(
            s => s.Model.Layers.Insert(8, new LayerSpec { AvgPool2D = new Pool2dSpec { Kernel = 2 } }), "model.layers[8].avg_pool2d", "needs an image input"),
        ["batch norm 2d without image"] = new(
            s => s.Model.Layers.Insert(8, new LayerSpec { BatchNorm2D = new BatchNormSpec() }), "model.layers[8].batch_norm2d", "needs an image input"),
        ["batch norm 2d momentum 0"] = new(
            s => s.Model.Layers.Insert(2, new LayerSpec { BatchNorm2D = new BatchNormSpec { Momentum = 0 } }), "model.layers[2].batch_norm2d.momentum", "must be in (0, 1]"),
        ["dropout 2d rate 1"] = new(
            s => s.Model.Layers.Insert(2, new LayerSpec { Dropout2D = new DropoutSpec { Rate = 1 } }), "model.layers[2].dropout2d.rate", "must be in [0, 1)"),
        ["dense after conv sees the feature map size"] = new(
            s => s.Model.Layers[^1].Dense.Units = 9, "model.layers[12].dense.units", "the model's output must be 10"),
    };

    public static TheoryData<string> InvalidCaseNames() => new(InvalidCases.Keys);

    [Theory]
    [MemberData(nameof(InvalidCaseNames))]
    public void Validate_InvalidImageLayer_ReportsFieldPathAndReason(string caseName)
    {
        var invalid = InvalidCases[caseName];
        var spec = LeNet();
        invalid.Mutate(spec);

        var result = JobSpecValidator.Validate(spec, JobLimits.Default, FashionMnist);

        var error = Assert.Single(result.Errors);
        Assert.Equal(invalid.Path, error.FieldPath);
        Assert.Contains(invalid.Reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_LeNet_IsValid()
    {
        var result = JobSpecValidator.Validate(LeNet(), JobLimits.Default, FashionMnist);

        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Validate_ConvAfterActivationAndDropout_KeepsTheImage()
    {
        var spec = LeNet();
        spec.Model.Layers.Insert(3, new LayerSpec { Dropout = new DropoutSpec { Rate = 0.1f } });

        var result = JobSpecValidator.Validate(spec, JobLimits.Default, FashionMnist);

        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Validate_BatchNormAndDropoutOverChannels_AreValidAfterConv()
    {
        var spec = LeNet();
        spec.Model.Layers.Insert(2, new LayerSpec { BatchNorm2D = new BatchNormSpec() });
        spec.Model.Layers.Insert(3, new LayerSpec { Dropout2D = new DropoutSpec { Rate = 0.2f } });

        var result = JobSpecValidator.Validate(spec, JobLimits.Default, FashionMnist);

        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Validate_ConvInsideResidual_SeesTheImage()
    {
        var spec = LeNet();
        spec.Model.Layers.Insert(3, new LayerSpec
        {
            Residual = new ResidualSpec { Layers = { new LayerSpec { Conv2D = new Conv2dSpec { OutChannels = 6, Kernel = 3, Padding = 1 } } } },
        });

        var result = JobSpecValidator.Validate(spec, JobLimits.Default, FashionMnist);

        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Validate_ConvTransposeUpsamplesThenPool_KeepsLeNetValid()
    {
        // 6x14x14 -> 6x28x28 (kernel 4, stride 2, padding 1, a GAN generator's step) -> max pool -> 6x14x14.
        var spec = LeNet();
        spec.Model.Layers.Insert(4, Deconv(new ConvTranspose2dSpec { OutChannels = 6, Kernel = 4, Stride = 2, Padding = 1 }));
        spec.Model.Layers.Insert(5, new LayerSpec { MaxPool2D = new Pool2dSpec { Kernel = 2 } });

        var result = JobSpecValidator.Validate(spec, JobLimits.Default, FashionMnist);

        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Validate_ImageTooLarge_NamesTheLimit()
    {
        var spec = LeNet();
        spec.Model.Layers[1].Conv2D.OutChannels = 65536;

        var result = JobSpecValidator.Validate(spec, JobLimits.Default, FashionMnist);

        Assert.Contains(result.Errors, error => error.FieldPath == "model.layers[1].conv2d" && error.Reason.Contains("MaxImageFeatures", StringComparison.Ordinal));
    }

    private static LayerSpec Deconv(ConvTranspose2dSpec spec) => new() { ConvTranspose2D = spec };

    /// <summary>LeNet-5 on 784-feature images: reshape, conv 5x5x6 pad 2, pool, conv 5x5x16, pool, flatten, 120, 84, 10.</summary>
    internal static JobSpec LeNet() => new()
    {
        Name = "lenet",
        Dataset = new DatasetSpec
        {
            Format = DatasetSpec.Types.Format.Idx,
            TrainPath = ExistingFile,
            TrainLabelsPath = ExistingFile,
            TestPath = ExistingFile,
            TestLabelsPath = ExistingFile,
            Normalization = DatasetSpec.Types.Normalization.Scale,
            NumClasses = 10,
        },
        Model = new ModelSpec
        {
            Layers =
            {
                new LayerSpec { Reshape = new ReshapeSpec { Channels = 1, Height = 28, Width = 28 } },
                new LayerSpec { Conv2D = new Conv2dSpec { OutChannels = 6, Kernel = 5, Padding = 2 } },
                Act(Activation.Relu),
                new LayerSpec { MaxPool2D = new Pool2dSpec { Kernel = 2 } },
                new LayerSpec { Conv2D = new Conv2dSpec { OutChannels = 16, Kernel = 5 } },
                Act(Activation.Relu),
                new LayerSpec { MaxPool2D = new Pool2dSpec { Kernel = 2 } },
                new LayerSpec { Flatten = new FlattenSpec() },
                Dense(120),
                Act(Activation.Relu),
                Dense(84),
                Act(Activation.Relu),
                Dense(10),
            },
        },
        Loss = new LossSpec { Kind = LossSpec.Types.Kind.SoftmaxCrossEntropy },
        Optimizer = new OptimizerSpec { Kind = OptimizerSpec.Types.Kind.Adam, LearningRate = 1e-3f },
        BatchSize = 64,
        Epochs = 2,
        Seed = 1,
        MinWorkers = 1,
        MaxWorkers = 4,
    };

    private static LayerSpec Dense(int units) => new() { Dense = new DenseSpec { Units = units } };

    private static LayerSpec Act(Activation kind) => new() { Activation = new ActivationSpec { Kind = kind } };

    private sealed record InvalidCase(Action<JobSpec> Mutate, string Path, string Reason);
}
