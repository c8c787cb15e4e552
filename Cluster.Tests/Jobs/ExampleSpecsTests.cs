using DistributedTrainer.Data;
using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using Xunit;

namespace DistributedTrainer.Tests.Jobs;

public class ExampleSpecsTests
{
    private const string FashionMnistTrainImages = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

    public static TheoryData<string> Examples() => new(RepositoryRoot.ExampleSpecs());

    [Theory]
    [MemberData(nameof(Examples))]
    public void LoadFile_Example_IsValidForItsData(string example)
    {
        // The examples name the Debian dataset package's files; where it is not installed only their existence is skipped.
        var limits = JobLimits.Default with { CheckFilesExist = File.Exists(FashionMnistTrainImages) };
        var spec = JobSpecLoader.LoadFile(Path.Combine(RepositoryRoot.Directory, example));

        // A TEXT example's shape is its window and the vocabulary of its corpus (texts every Debian machine has).
        var shape = spec.Dataset.Format == DatasetSpec.Types.Format.Text
            ? new DataShape(spec.Dataset.Window, TextVocabulary.Build(TextCorpus.Read(spec.Dataset.TrainPath)).Count)
            : new DataShape(784, 10);

        var result = JobSpecValidator.Validate(spec, limits, shape);

        Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public void LoadFile_ReferenceJobAsYamlAndJson_GivesSameSpec()
    {
        var yaml = JobSpecLoader.LoadFile(Path.Combine(RepositoryRoot.Directory, "examples", "fashion-mnist-mlp.yaml"));

        var json = JobSpecLoader.LoadFile(Path.Combine(RepositoryRoot.Directory, "examples", "fashion-mnist-mlp.json"));

        Assert.Equal(yaml, json);
    }

    [Theory]
    [InlineData("fashion-mnist-gan.yaml", AdversarialSpec.Types.Loss.NonSaturating)]
    [InlineData("fashion-mnist-wgan.yaml", AdversarialSpec.Types.Loss.Wasserstein)]
    public void LoadFile_GanExample_IsAnAdversarialJobOfItsLoss(string example, AdversarialSpec.Types.Loss loss)
    {
        var spec = JobSpecLoader.LoadFile(Path.Combine(RepositoryRoot.Directory, "examples", example));

        Assert.Equal(loss, spec.Adversarial.Loss);
    }
}
