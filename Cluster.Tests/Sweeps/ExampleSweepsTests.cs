using DistributedTrainer.Jobs;
using DistributedTrainer.Sweeps;
using DistributedTrainer.Tests.Jobs;
using Xunit;

namespace DistributedTrainer.Tests.Sweeps;

public class ExampleSweepsTests
{
    private const string FashionMnistTrainImages = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

    public static TheoryData<string> Examples() => new(RepositoryRoot.ExampleSweeps());

    [Theory]
    [MemberData(nameof(Examples))]
    public void LoadFile_Example_IsValid(string example)
    {
        // The examples name the Debian dataset package's files; where it is not installed only their existence is skipped.
        var limits = JobLimits.Default with { CheckFilesExist = File.Exists(FashionMnistTrainImages) };
        var spec = SweepSpecLoader.LoadFile(Path.Combine(RepositoryRoot.Directory, example));

        var result = SweepSpecValidator.Validate(spec, limits);

        Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public void ExampleSweeps_Listed_IncludeTheFashionMnistSweep()
    {
        Assert.Contains(Path.Combine("examples", "sweep-fashion-mnist.yaml"), RepositoryRoot.ExampleSweeps());
    }
}
