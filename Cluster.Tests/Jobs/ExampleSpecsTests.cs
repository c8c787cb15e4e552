using DistributedTrainer.Jobs;
using Xunit;

namespace DistributedTrainer.Tests.Jobs;

public class ExampleSpecsTests
{
    private const string FashionMnistTrainImages = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

    public static TheoryData<string> Examples() => new(RepositoryRoot.ExampleSpecs());

    [Theory]
    [MemberData(nameof(Examples))]
    public void LoadFile_Example_IsValidForFashionMnist(string example)
    {
        // The examples name the Debian dataset package's files; where it is not installed only their existence is skipped.
        var limits = JobLimits.Default with { CheckFilesExist = File.Exists(FashionMnistTrainImages) };
        var spec = JobSpecLoader.LoadFile(Path.Combine(RepositoryRoot.Directory, example));

        var result = JobSpecValidator.Validate(spec, limits, new DataShape(784, 10));

        Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public void LoadFile_ReferenceJobAsYamlAndJson_GivesSameSpec()
    {
        var yaml = JobSpecLoader.LoadFile(Path.Combine(RepositoryRoot.Directory, "examples", "fashion-mnist-mlp.yaml"));

        var json = JobSpecLoader.LoadFile(Path.Combine(RepositoryRoot.Directory, "examples", "fashion-mnist-mlp.json"));

        Assert.Equal(yaml, json);
    }
}
