using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using Xunit;
using Output = DistributedTrainer.Protos.V1.RecurrentSpec.Types.Output;

namespace DistributedTrainer.Tests.Jobs;

/// <summary>The rnn, lstm and gru layer checks of <see cref="JobSpecValidator"/> on 784-feature inputs.</summary>
public class JobSpecValidatorRecurrentTests
{
    private static readonly DataShape FashionMnist = new(784, 10);

    // Each case is a model (before the 10-unit output layer) and the one error it must cause.
    private static readonly Dictionary<string, InvalidCase> InvalidCases = new()
    {
        ["input width not a multiple of input_size"] = new(
            [Lstm(new RecurrentSpec { HiddenSize = 16, InputSize = 30 })],
            "model.layers[0].lstm.input_size",
            "must divide the input width 784"),
        ["input_size unset"] = new([Gru(new RecurrentSpec { HiddenSize = 16 })], "model.layers[0].gru.input_size", "must be >= 1, got 0"),
        ["hidden_size unset"] = new([Lstm(new RecurrentSpec { InputSize = 28 })], "model.layers[0].lstm.hidden_size", "must be > 0, got 0"),
        ["sequence layer after a dense layer"] = new(
            [new LayerSpec { Dense = new DenseSpec { Units = 28 } }, Lstm(new RecurrentSpec { HiddenSize = 8, InputSize = 28 })],
            "model.layers[1].lstm",
            "lstm reads a sequence, but the layer before it gives one vector per sample"),
        ["sequence layer after image layers and flatten"] = new(
            [
                new LayerSpec { Reshape = new ReshapeSpec { Channels = 1, Height = 28, Width = 28 } },
                new LayerSpec { Conv2D = new Conv2dSpec { OutChannels = 1, Kernel = 1 } },
                new LayerSpec { Flatten = new FlattenSpec() },
                Lstm(new RecurrentSpec { HiddenSize = 8, InputSize = 28 }),
            ],
            "model.layers[3].lstm",
            "lstm reads a sequence, but the layer before it gives one vector per sample"),
        ["sequence layer after a LAST output"] = new(
            [Lstm(new RecurrentSpec { HiddenSize = 8, InputSize = 28 }), Gru(new RecurrentSpec { HiddenSize = 8, InputSize = 8 })],
            "model.layers[1].gru",
            "gru reads a sequence"),
        ["input_size not the SEQUENCE layer's step"] = new(
            [
                Lstm(new RecurrentSpec { HiddenSize = 8, InputSize = 28, Bidirectional = true, Output = Output.Sequence }),
                Gru(new RecurrentSpec { HiddenSize = 8, InputSize = 8 }),
            ],
            "model.layers[1].gru.input_size",
            "must be 16, the per-step width"),
        ["nonlinearity on lstm"] = new(
            [Lstm(new RecurrentSpec { HiddenSize = 8, InputSize = 28, Nonlinearity = RecurrentSpec.Types.Nonlinearity.Relu })],
            "model.layers[0].lstm.nonlinearity",
            "applies to rnn only"),
        ["forget_bias on gru"] = new(
            [Gru(new RecurrentSpec { HiddenSize = 8, InputSize = 28, ForgetBias = 1 })],
            "model.layers[0].gru.forget_bias",
            "applies to lstm only"),
        ["negative bptt_steps"] = new(
            [new LayerSpec { Rnn = new RecurrentSpec { HiddenSize = 8, InputSize = 28, BpttSteps = -1 } }],
            "model.layers[0].rnn.bptt_steps",
            "must be >= 0, got -1"),
        ["undefined output"] = new(
            [Lstm(new RecurrentSpec { HiddenSize = 8, InputSize = 28, Output = (Output)9 })],
            "model.layers[0].lstm.output",
            "unknown value 9"),
    };

    public static TheoryData<string> InvalidCaseNames() => new(InvalidCases.Keys);

    [Theory]
    [MemberData(nameof(InvalidCaseNames))]
    public void Validate_InvalidRecurrentLayer_ReportsFieldPathAndReason(string caseName)
    {
        var invalid = InvalidCases[caseName];

        var result = JobSpecValidator.Validate(SpecWith(invalid.Layers), JobLimits.Default, FashionMnist);

        var error = Assert.Single(result.Errors);
        Assert.Equal(invalid.Path, error.FieldPath);
        Assert.Contains(invalid.Reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_StackedSequenceLayersThroughActivation_IsValid()
    {
        var spec = SpecWith(
        [
            Lstm(new RecurrentSpec { HiddenSize = 8, InputSize = 28, Bidirectional = true, Output = Output.Sequence }),
            new LayerSpec { Dropout = new DropoutSpec { Rate = 0.1f } },
            Gru(new RecurrentSpec { HiddenSize = 12, InputSize = 16, NumLayers = 2, Output = Output.Mean }),
        ]);

        var result = JobSpecValidator.Validate(spec, JobLimits.Default, FashionMnist);

        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Validate_SequenceOutputAsModelOutput_CountsStepsTimesWidth()
    {
        // 28 steps x 2 directions x 4 = 224 features are the model's output, not the 10 the loss needs.
        var spec = SpecWith([Lstm(new RecurrentSpec { HiddenSize = 4, InputSize = 28, Bidirectional = true, Output = Output.Sequence })]);
        spec.Model.Layers.RemoveAt(spec.Model.Layers.Count - 1);

        var result = JobSpecValidator.Validate(spec, JobLimits.Default, FashionMnist);

        var error = Assert.Single(result.Errors);
        Assert.Contains("got 224", error.Reason, StringComparison.Ordinal);
    }

    private static JobSpec SpecWith(LayerSpec[] layers)
    {
        var spec = JobSpecValidatorTests.ValidSpec();
        spec.Model.Layers.Clear();
        spec.Model.Layers.Add(layers);
        spec.Model.Layers.Add(new LayerSpec { Name = "out", Dense = new DenseSpec { Units = 10 } });
        return spec;
    }

    private static LayerSpec Lstm(RecurrentSpec spec) => new() { Lstm = spec };

    private static LayerSpec Gru(RecurrentSpec spec) => new() { Gru = spec };

    private sealed record InvalidCase(LayerSpec[] Layers, string Path, string Reason);
}
