using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using Xunit;

namespace DistributedTrainer.Tests.Jobs;

/// <summary>The TEXT data set, embedding and per-step dense checks of <see cref="JobSpecValidator"/>, on examples/text-char-gru.yaml.</summary>
public class JobSpecValidatorTextTests
{
    // The licence texts of /usr/share/common-licenses: 86 characters; windows of 128.
    private static readonly DataShape LicenceTexts = new(128, 86);

    // Each case is one small change to the example and the one error it must cause.
    private static readonly Dictionary<string, InvalidCase> InvalidCases = new()
    {
        ["window unset"] = new(s => s.Dataset.Window = 0, "dataset.window", "must be > 0, got 0"),
        ["negative stride"] = new(s => s.Dataset.WindowStride = -1, "dataset.window_stride", "must be >= 0, got -1"),
        ["test fraction above one half"] = new(s => s.Dataset.TestFraction = 0.6f, "dataset.test_fraction", "must be in (0, 0.5], got 0.6"),
        ["negative test context"] = new(s => s.Dataset.TestContext = -1, "dataset.test_context", "must be >= 0, got -1"),
        ["test context as long as the window"] = new(s => s.Dataset.TestContext = 128, "dataset.test_context", "must be below dataset.window (128)"),
        ["corpus missing"] = new(s => s.Dataset.TrainPath = "/usr/share/common-licenses/absent", "dataset.train_path", "file or directory not found: /usr/share/common-licenses/absent"),
        ["test path set"] = new(s => s.Dataset.TestPath = "/usr/share/common-licenses/GPL-2", "dataset.test_path", "unused for TEXT"),
        ["scaled ids"] = new(s => s.Dataset.Normalization = DatasetSpec.Types.Normalization.Scale, "dataset.normalization", "must be NONE or unset for TEXT"),
        ["embedding not first"] = new(
            s => s.Model.Layers.Insert(0, new LayerSpec { Dropout = new DropoutSpec { Rate = 0.1f } }),
            "model.layers[1].embedding",
            "must be the model's first layer"),
        ["vocabulary smaller than the text's"] = new(
            s => s.Model.Layers[0].Embedding.VocabularySize = 50,
            "model.layers[0].embedding.vocabulary_size",
            "must be >= 86"),
        ["dimensions unset"] = new(s => s.Model.Layers[0].Embedding.Dimensions = 0, "model.layers[0].embedding.dimensions", "must be > 0, got 0"),
        ["step_features not the sequence's step"] = new(
            s => s.Model.Layers[5].Dense.StepFeatures = 128,
            "model.layers[5].dense.step_features",
            "must be 256, the per-step width"),
        ["step_features after a LAST output"] = new(
            s => s.Model.Layers[3].Gru.Output = RecurrentSpec.Types.Output.Last,
            "model.layers[5].dense.step_features",
            "the layer before it gives one vector per sample"),
        ["one output per step missing"] = new(
            s => s.Model.Layers[5].Dense.StepFeatures = 0,
            "model.layers[5].dense.units",
            "the model's output must be 11008 (one output per class for SOFTMAX_CROSS_ENTROPY at each of the window's 128 steps), got 86"),
    };

    public static TheoryData<string> InvalidCaseNames() => new(InvalidCases.Keys);

    [Theory]
    [MemberData(nameof(InvalidCaseNames))]
    public void Validate_InvalidTextJob_ReportsFieldPathAndReason(string caseName)
    {
        var spec = Example();
        InvalidCases[caseName].Mutate(spec);

        var result = JobSpecValidator.Validate(spec, JobLimits.Default, LicenceTexts);

        var error = Assert.Single(result.Errors);
        Assert.Equal(InvalidCases[caseName].Path, error.FieldPath);
        Assert.Contains(InvalidCases[caseName].Reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Example_IsValidWithAndWithoutTheDataShape()
    {
        Assert.True(JobSpecValidator.Validate(Example(), JobLimits.Default).IsValid);
        Assert.True(JobSpecValidator.Validate(Example(), JobLimits.Default, LicenceTexts).IsValid);
    }

    private static JobSpec Example() => JobSpecLoader.LoadFile(Path.Combine(RepositoryRoot.Directory, "examples", "text-char-gru.yaml"));

    private sealed record InvalidCase(Action<JobSpec> Mutate, string Path, string Reason);
}
