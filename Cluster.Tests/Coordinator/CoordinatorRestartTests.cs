using DistributedTrainer.Protos.V1;
using DistributedTrainer.Transport;
using Grpc.Core;
using Xunit;
using JobsRpc = DistributedTrainer.Protos.V1.Jobs;

namespace DistributedTrainer.Tests.Coordinator;

public sealed class CoordinatorRestartTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-restart-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Restart_KilledWhileRunning_JobListedAgainAndCompletes()
    {
        string state = Path.Combine(_directory, "state");
        // Long enough that the job cannot end between its second epoch's event and the kill, even on a loaded machine:
        // an epoch takes about 15 ms here, so the rest of the run about 4 s. With 30 epochs the first coordinator
        // sometimes finished the job before the kill landed (one CI run in four once steps stopped slowing the run).
        var spec = TestJobs.Spec(_directory, epochs: 300, trainRows: 2000);
        string jobId;
        using (var first = await CoordinatorProcess.StartAsync(state))
        using (var channel = GrpcChannels.Create(first.Address))
        {
            jobId = (await new JobsRpc.JobsClient(channel).SubmitJobAsync(new SubmitJobRequest { Spec = spec }, Timeout())).JobId;
            using var call = new JobsRpc.JobsClient(channel).WatchJob(new WatchJobRequest { JobId = jobId }, Timeout());
            await foreach (var jobEvent in call.ResponseStream.ReadAllAsync())
            {
                if (jobEvent.EventCase == JobEvent.EventOneofCase.Epoch && jobEvent.Epoch.Epoch >= 2)
                {
                    break;
                }
            }
            first.Kill();
        }

        using var second = await CoordinatorProcess.StartAsync(state);
        using var again = GrpcChannels.Create(second.Address);
        var listed = await new JobsRpc.JobsClient(again).ListJobsAsync(new ListJobsRequest(), Timeout());
        using var watch = new JobsRpc.JobsClient(again).WatchJob(new WatchJobRequest { JobId = jobId }, Timeout());
        await foreach (var _ in watch.ResponseStream.ReadAllAsync())
        {
        }
        var job = await new JobsRpc.JobsClient(again).GetJobAsync(new GetJobRequest { JobId = jobId }, Timeout());

        Assert.Equal([jobId], listed.Jobs.Select(listedJob => listedJob.JobId));
        Assert.True(listed.Jobs[0].Epochs.Count >= 2, $"listed with {listed.Jobs[0].Epochs.Count} epochs");
        Assert.Equal(JobState.Succeeded, job.State);
        Assert.Equal(300, job.Result.Epochs);
        Assert.Contains($"Job {jobId} resumes from checkpoint step-", second.Stderr, StringComparison.Ordinal);
    }

    private static CallOptions Timeout() => new(deadline: DateTime.UtcNow + TimeSpan.FromSeconds(60));
}
