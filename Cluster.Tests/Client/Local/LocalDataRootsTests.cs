using DistributedTrainer.Client.Local;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Data;
using Xunit;

namespace DistributedTrainer.Tests.Client.Local;

public sealed class LocalDataRootsTests
{
    [Fact]
    public void Of_FilesInTwoDirectoriesAndACheckpoint_EachDirectoryOnce()
    {
        var spec = new JobSpec
        {
            Dataset = new DatasetSpec { TrainPath = "/d/a/train.idx", TrainLabelsPath = "/d/a/labels.idx", TestPath = "/d/b/test.idx" },
            Transfer = new TransferSpec { FromCheckpoint = "/c/step-000000010" },
        };

        Assert.Equal(["/d/a", "/d/b", "/c/step-000000010"], LocalDataRoots.Of(spec));
    }

    [Fact]
    public void Of_LinkedDataFile_TheDirectoryOfItsTarget()
    {
        using var directory = new TemporaryDirectory();
        string real = Directory.CreateDirectory(directory.File("real")).FullName;
        File.WriteAllText(Path.Combine(real, "train.csv"), "0,1\n");
        string link = directory.File("train.csv");
        File.CreateSymbolicLink(link, Path.Combine(real, "train.csv"));

        Assert.Equal([real], LocalDataRoots.Of(new JobSpec { Dataset = new DatasetSpec { TrainPath = link } }));
    }

    [Fact]
    public void Arguments_TwoRoots_OneFlagEach() =>
        Assert.Equal(["--data-root", "/a", "--data-root", "/b"], LocalDataRoots.Arguments(["/a", "/b"]));
}
