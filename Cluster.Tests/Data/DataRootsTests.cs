using DistributedTrainer.Data;
using DistributedTrainer.Protos.V1;
using Xunit;

namespace DistributedTrainer.Tests.Data;

public sealed class DataRootsTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();
    private readonly string _root;
    private readonly string _outside;

    public DataRootsTests()
    {
        _root = Directory.CreateDirectory(_directory.File("root")).FullName;
        _outside = Directory.CreateDirectory(_directory.File("outside")).FullName;
        File.WriteAllText(Path.Combine(_root, "data.csv"), "0,1\n");
        File.WriteAllText(Path.Combine(_outside, "secret.csv"), "0,1\n");
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Contains_FileUnderTheRoot_True() =>
        Assert.True(new DataRoots([_root]).Contains(Path.Combine(_root, "data.csv")));

    [Fact]
    public void Contains_SiblingWithTheRootAsPrefix_False()
    {
        string sibling = Directory.CreateDirectory(_root + "-evil").FullName;

        Assert.False(new DataRoots([_root]).Contains(Path.Combine(sibling, "x.csv")));
    }

    [Fact]
    public void Contains_DotDotOutOfTheRoot_False() =>
        Assert.False(new DataRoots([_root]).Contains(Path.Combine(_root, "..", "outside", "secret.csv")));

    [Fact]
    public void Contains_LinkInsideTheRootToAFileOutside_False()
    {
        string link = Path.Combine(_root, "link.csv");
        File.CreateSymbolicLink(link, Path.Combine(_outside, "secret.csv"));

        Assert.False(new DataRoots([_root]).Contains(link));
    }

    [Fact]
    public void Contains_DotDotAfterALinkedDirectory_FollowsTheTargetsParent()
    {
        // root/nested -> outside/deeper, so root/nested/../secret.csv is outside/secret.csv for the kernel.
        string deeper = Directory.CreateDirectory(Path.Combine(_outside, "deeper")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(_root, "nested"), deeper);

        Assert.False(new DataRoots([_root]).Contains(Path.Combine(_root, "nested", "..", "secret.csv")));
    }

    [Fact]
    public void Contains_RootGivenThroughALink_FilesOfItsTargetInside()
    {
        string linkedRoot = _directory.File("linked-root");
        Directory.CreateSymbolicLink(linkedRoot, _root);

        Assert.True(new DataRoots([linkedRoot]).Contains(Path.Combine(_root, "data.csv")));
    }

    [Fact]
    public void Contains_LinkLoop_False()
    {
        string loop = Path.Combine(_root, "loop");
        File.CreateSymbolicLink(loop, loop);

        Assert.False(new DataRoots([_root]).Contains(Path.Combine(loop, "data.csv")));
    }

    [Fact]
    public void Check_EveryPathOutside_OneLinePerFieldWithoutResolvingTheLinks()
    {
        var spec = new JobSpec
        {
            Dataset = new DatasetSpec
            {
                TrainPath = Path.Combine(_outside, "secret.csv"),
                TrainLabelsPath = "/etc/passwd",
                TestPath = Path.Combine(_root, "data.csv"),
                TestLabelsPath = Path.Combine(_root, "..", "outside", "x"),
            },
            Transfer = new TransferSpec { FromCheckpoint = _outside },
        };

        var refusals = new DataRoots([_root]).Check(spec);

        Assert.Equal(["dataset.train_path", "dataset.train_labels_path", "dataset.test_labels_path", "transfer.from_checkpoint"],
            refusals.Select(line => line[..line.IndexOf(':', StringComparison.Ordinal)]));
        Assert.All(refusals, line => Assert.EndsWith($"is outside the data roots ({_root})", line, StringComparison.Ordinal));
    }

    [Fact]
    public void Check_TextCorpusDirectoryInsideTheRoot_NoRefusal()
    {
        string corpus = Directory.CreateDirectory(Path.Combine(_root, "corpus")).FullName;

        Assert.Empty(new DataRoots([_root]).Check(TextSpec(corpus)));
    }

    [Fact]
    public void Check_TextCorpusDirectoryLinkedOutside_RefusedNamingTheField()
    {
        // The corpus directory itself leads out; the files in a directory inside a root are confined by the reader,
        // which does not follow links (TextCorpusTests).
        string link = Path.Combine(_root, "corpus");
        Directory.CreateSymbolicLink(link, _outside);

        var refusal = Assert.Single(new DataRoots([_root]).Check(TextSpec(link)));

        Assert.Equal($"dataset.train_path: {link} is outside the data roots ({_root})", refusal);
    }

    [Fact]
    public void Check_UnsetPaths_LeftToValidation() =>
        Assert.Empty(new DataRoots([_root]).Check(new JobSpec()));

    private static JobSpec TextSpec(string corpus) =>
        new() { Dataset = new DatasetSpec { Format = DatasetSpec.Types.Format.Text, TrainPath = corpus, Window = 8 } };
}
