using System.Formats.Tar;
using System.Security.Cryptography;
using DistributedTrainer.Protos.V1;
using Grpc.Core;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

public sealed class JobsServiceTests : IAsyncLifetime
{
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await TestCoordinator.StartAsync();

    public async Task DisposeAsync() => await _coordinator.DisposeAsync();

    [Fact]
    public async Task WatchJob_QueuedJob_SnapshotFirstThenEveryEpochThenSucceeded()
    {
        string blocker = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 10_000));
        string jobId = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 3));
        using var call = _coordinator.Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, _coordinator.Call());
        var events = new List<JobEvent>();
        Assert.True(await call.ResponseStream.MoveNext());
        events.Add(call.ResponseStream.Current);

        await _coordinator.Jobs.CancelJobAsync(new CancelJobRequest { JobId = blocker }, _coordinator.Call());
        await foreach (var jobEvent in call.ResponseStream.ReadAllAsync())
        {
            events.Add(jobEvent);
        }

        Assert.Equal((JobEvent.EventOneofCase.Snapshot, JobState.Queued), (events[0].EventCase, events[0].Snapshot.State));
        Assert.Equal([1, 2, 3], events.Where(e => e.EventCase == JobEvent.EventOneofCase.Epoch).Select(e => e.Epoch.Epoch));
        Assert.Equal(JobState.Succeeded, TestCoordinator.FinalState(events));
    }

    [Fact]
    public async Task GetJob_FinishedJob_HasResultCheckpointAndEpochs()
    {
        string jobId = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 2));
        await _coordinator.WatchToEndAsync(jobId);

        var job = await _coordinator.GetAsync(jobId);

        Assert.Equal(JobState.Succeeded, job.State);
        Assert.Equal(2, job.Epochs.Count);
        Assert.Equal(2, job.Result.Epochs);
        Assert.True(job.Result.TestAccuracy > 0.9, job.Message);
        Assert.Equal("step-000000026", job.LastCheckpoint);
        Assert.True(File.Exists(Path.Combine(_coordinator.Directory, "state", "jobs", jobId, "metrics.csv")));
    }

    [Fact]
    public async Task SubmitJob_InvalidUnits_InvalidArgumentNamingTheFieldAndStillServes()
    {
        var spec = TestJobs.Spec(_coordinator.Directory, units: -4);

        var failure = await Assert.ThrowsAsync<RpcException>(() => _coordinator.SubmitAsync(spec));

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains("model.layers[0].dense.units", failure.Status.Detail, StringComparison.Ordinal);
        await _coordinator.Jobs.ListJobsAsync(new ListJobsRequest(), _coordinator.Call());
    }

    [Fact]
    public async Task SubmitJob_MissingDataFile_InvalidArgumentNamingThePath()
    {
        var spec = TestJobs.Spec(_coordinator.Directory);
        spec.Dataset.TrainPath = Path.Combine(_coordinator.Directory, "missing.csv");

        var failure = await Assert.ThrowsAsync<RpcException>(() => _coordinator.SubmitAsync(spec));

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains("dataset.train_path", failure.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("j-000000000000")]
    [InlineData("../../etc")]
    public async Task GetJob_UnknownId_NotFound(string jobId)
    {
        var failure = await Assert.ThrowsAsync<RpcException>(() => _coordinator.GetAsync(jobId));

        Assert.Equal(StatusCode.NotFound, failure.StatusCode);
    }

    [Fact]
    public async Task ListJobs_TwoJobs_NewestFirst()
    {
        string first = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 1));
        await Task.Delay(5);
        string second = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 1));

        var list = await _coordinator.Jobs.ListJobsAsync(new ListJobsRequest(), _coordinator.Call());

        Assert.Equal([second, first], list.Jobs.Select(job => job.JobId));
    }

    [Fact]
    public async Task CancelJob_RunningJob_EndsCancelled()
    {
        string jobId = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 10_000));
        using var call = _coordinator.Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, _coordinator.Call());
        var events = call.ResponseStream.ReadAllAsync().GetAsyncEnumerator();
        while (await events.MoveNextAsync() && events.Current.EventCase != JobEvent.EventOneofCase.Step)
        {
        }

        await _coordinator.Jobs.CancelJobAsync(new CancelJobRequest { JobId = jobId }, _coordinator.Call());
        JobState last = JobState.Unspecified;
        while (await events.MoveNextAsync())
        {
            last = events.Current.EventCase == JobEvent.EventOneofCase.State ? events.Current.State : last;
        }
        await events.DisposeAsync();

        Assert.Equal(JobState.Cancelled, last);
    }

    [Fact]
    public async Task CancelJob_QueuedJob_CancelledAtOnce()
    {
        string blocker = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 10_000));
        string queued = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 1));

        var job = await _coordinator.Jobs.CancelJobAsync(new CancelJobRequest { JobId = queued }, _coordinator.Call());
        await _coordinator.Jobs.CancelJobAsync(new CancelJobRequest { JobId = blocker }, _coordinator.Call());

        Assert.Equal(JobState.Cancelled, job.State);
    }

    [Fact]
    public async Task DownloadCheckpoint_WholeCheckpoint_TarOfTheThreeFilesWithMatchingSha256()
    {
        string jobId = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 1));
        await _coordinator.WatchToEndAsync(jobId);

        var (content, first) = await DownloadAsync(new DownloadCheckpointRequest { JobId = jobId });

        Assert.Equal(first.TotalSize, content.Length);
        Assert.Equal(first.Sha256, Convert.ToHexStringLower(SHA256.HashData(content)));
        var names = new List<string>();
        using var reader = new TarReader(new MemoryStream(content));
        while (reader.GetNextEntry() is { } entry)
        {
            names.Add(entry.Name);
        }
        Assert.Equal(["manifest.json", "model.safetensors", "optimizer.safetensors"], names.Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task DownloadCheckpoint_ModelFile_TheFileBytes()
    {
        string jobId = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 1));
        await _coordinator.WatchToEndAsync(jobId);
        var job = await _coordinator.GetAsync(jobId);

        var (content, _) = await DownloadAsync(new DownloadCheckpointRequest { JobId = jobId, File = "model.safetensors" });

        string path = Path.Combine(_coordinator.Directory, "state", "jobs", jobId, "checkpoints", job.LastCheckpoint, "model.safetensors");
        Assert.Equal(File.ReadAllBytes(path), content);
    }

    [Fact]
    public async Task DownloadCheckpoint_UnknownFile_InvalidArgument()
    {
        string jobId = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 1));
        await _coordinator.WatchToEndAsync(jobId);

        var failure = await Assert.ThrowsAsync<RpcException>(() => DownloadAsync(new DownloadCheckpointRequest { JobId = jobId, File = "../job.json" }));

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
    }

    [Fact]
    public async Task WatchJob_HundredWatchers_AllReceiveEveryEpochAndTheEnd()
    {
        string blocker = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 10_000));
        string jobId = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 3));
        var calls = Enumerable.Range(0, 100)
            .Select(_ => _coordinator.Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, _coordinator.Call()))
            .ToList();
        foreach (var call in calls)
        {
            Assert.True(await call.ResponseStream.MoveNext());
        }

        await _coordinator.Jobs.CancelJobAsync(new CancelJobRequest { JobId = blocker }, _coordinator.Call());
        var received = await Task.WhenAll(calls.Select(async call =>
        {
            var events = new List<JobEvent>();
            await foreach (var jobEvent in call.ResponseStream.ReadAllAsync())
            {
                events.Add(jobEvent);
            }
            call.Dispose();
            return events;
        }));

        Assert.All(received, events =>
        {
            Assert.Equal(3, events.Count(e => e.EventCase == JobEvent.EventOneofCase.Epoch));
            Assert.Equal(JobState.Succeeded, TestCoordinator.FinalState(events));
        });
    }

    private async Task<(byte[] Content, CheckpointChunk First)> DownloadAsync(DownloadCheckpointRequest request)
    {
        using var call = _coordinator.Jobs.DownloadCheckpoint(request, _coordinator.Call());
        var content = new MemoryStream();
        CheckpointChunk? first = null;
        await foreach (var chunk in call.ResponseStream.ReadAllAsync())
        {
            first ??= chunk;
            Assert.Equal(content.Length, chunk.Offset);
            Assert.True(chunk.Data.Length <= 1024 * 1024);
            content.Write(chunk.Data.Span);
        }
        return (content.ToArray(), first!);
    }
}
