using DistributedTrainer.Protos.V1;
using Grpc.Core;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>
/// A coordinator reads data only under its data roots, tells a remote caller nothing of a file's content, and keeps
/// job ids, checkpoint names and files inside its state directory.
/// </summary>
public sealed class DataConfinementTests : IAsyncLifetime
{
    private const string Secret = "ghp_0123456789abcdefSECRET";
    private readonly string _outside = Directory.CreateTempSubdirectory("dt-outside-").FullName;
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await TestCoordinator.StartAsync();

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        Directory.Delete(_outside, recursive: true);
    }

    [Fact]
    public async Task SubmitJob_TrainPathOutsideTheDataRoots_PermissionDeniedNamingTheField()
    {
        var spec = TestJobs.Spec(_coordinator.Directory);
        spec.Dataset.TrainPath = WriteSecret(_outside, "secret.csv");

        var failure = await SubmitFailureAsync(spec);

        Assert.Equal(StatusCode.PermissionDenied, failure.StatusCode);
        Assert.StartsWith($"dataset.train_path: {spec.Dataset.TrainPath} is outside the data roots", failure.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, failure.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitJob_DotDotOutOfTheRoot_PermissionDenied()
    {
        var spec = TestJobs.Spec(_coordinator.Directory);
        WriteSecret(_outside, "secret.csv");
        spec.Dataset.TestPath = Path.Combine(_coordinator.Directory, "..", Path.GetFileName(_outside), "secret.csv");

        var failure = await SubmitFailureAsync(spec);

        Assert.Equal(StatusCode.PermissionDenied, failure.StatusCode);
        Assert.StartsWith("dataset.test_path: ", failure.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitJob_SymbolicLinkInsideTheRootToAFileOutside_PermissionDenied()
    {
        var spec = TestJobs.Spec(_coordinator.Directory);
        string link = Path.Combine(_coordinator.Directory, "innocent.csv");
        File.CreateSymbolicLink(link, WriteSecret(_outside, "secret.csv"));
        spec.Dataset.TrainPath = link;

        var failure = await SubmitFailureAsync(spec);

        Assert.Equal(StatusCode.PermissionDenied, failure.StatusCode);
        Assert.StartsWith($"dataset.train_path: {link} is outside", failure.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitJob_MissingAndExistingFilesOutside_TheSameRefusal()
    {
        var existing = TestJobs.Spec(_coordinator.Directory);
        existing.Dataset.TrainPath = WriteSecret(_outside, "secret.csv");
        var missing = existing.Clone();
        missing.Dataset.TrainPath = Path.Combine(_outside, "nothing.csv");

        var existingFailure = await SubmitFailureAsync(existing);
        var missingFailure = await SubmitFailureAsync(missing);

        Assert.Equal(existingFailure.Status.Detail.Replace("secret.csv", "", StringComparison.Ordinal),
            missingFailure.Status.Detail.Replace("nothing.csv", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SubmitJob_TransferCheckpointOutsideTheDataRoots_PermissionDenied()
    {
        var spec = TestJobs.Spec(_coordinator.Directory);
        spec.Transfer = new TransferSpec { FromCheckpoint = _outside };

        var failure = await SubmitFailureAsync(spec);

        Assert.Equal(StatusCode.PermissionDenied, failure.StatusCode);
        Assert.StartsWith("transfer.from_checkpoint: ", failure.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitJob_CsvInsideTheRootWithASecretLabel_InvalidArgumentWithoutTheContent()
    {
        var spec = TestJobs.Spec(_coordinator.Directory);
        spec.Dataset.HasHeader = false;
        spec.Dataset.TrainPath = WriteSecret(_coordinator.Directory, "leaky.csv");

        var failure = await SubmitFailureAsync(spec);

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains("dataset.train_path: ", failure.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("line 1, column 1: the label is not a non-negative integer", failure.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("ghp_", failure.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitJob_TextCorpusDirectoryWhoseFileLinksOutside_InvalidArgumentWithoutTheContent()
    {
        // The directory is inside the root; its one entry is a link to a file outside, which the reader does not follow.
        var spec = DistributedTrainer.Jobs.JobSpecLoader.LoadFile(Client.LocalCommandTests.WriteTextSpec(_coordinator.Directory));
        string corpus = Directory.CreateDirectory(Path.Combine(_coordinator.Directory, "corpus")).FullName;
        File.CreateSymbolicLink(Path.Combine(corpus, "innocent.txt"), WriteSecret(_outside, "secret.txt"));
        spec.Dataset.TrainPath = corpus;

        var failure = await SubmitFailureAsync(spec);

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains($"dataset.train_path: directory {corpus} holds no regular file", failure.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("ghp_", failure.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../../../etc")]
    [InlineData("j-0123456789ab/../../x")]
    [InlineData("/etc/passwd")]
    public async Task DownloadCheckpoint_JobIdOutsideTheStateDirectory_NotFound(string jobId)
    {
        var failure = await Assert.ThrowsAsync<RpcException>(() => DrainAsync(new DownloadCheckpointRequest { JobId = jobId }));

        Assert.Equal(StatusCode.NotFound, failure.StatusCode);
    }

    [Fact]
    public async Task DownloadCheckpoint_CheckpointNameWithDotDot_NotFound()
    {
        string jobId = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 1));
        await _coordinator.WatchToEndAsync(jobId);

        var failure = await Assert.ThrowsAsync<RpcException>(() =>
            DrainAsync(new DownloadCheckpointRequest { JobId = jobId, Checkpoint = "../../" + jobId, File = "model.safetensors" }));

        Assert.Equal(StatusCode.NotFound, failure.StatusCode);
    }

    private static string WriteSecret(string directory, string name)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, Secret + ",1\n");
        return path;
    }

    private async Task<RpcException> SubmitFailureAsync(JobSpec spec) =>
        await Assert.ThrowsAsync<RpcException>(() => _coordinator.SubmitAsync(spec));

    /// <summary>Reads the download to its end; returns how many chunks came.</summary>
    private async Task<int> DrainAsync(DownloadCheckpointRequest request)
    {
        using var call = _coordinator.Jobs.DownloadCheckpoint(request, _coordinator.Call());
        int chunks = 0;
        while (await call.ResponseStream.MoveNext())
        {
            chunks++;
        }
        return chunks;
    }
}
