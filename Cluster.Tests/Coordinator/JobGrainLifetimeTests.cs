using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>
/// What a job leaves in the coordinator's memory once it is over: its grain is deactivated after the idle collection
/// age (not Orleans' default 15 minutes), a running job's grain is never collected, and data the Jobs service loaded
/// for a job that never trained is dropped (the chaos soak's coordinator grew with every finished job).
/// </summary>
public sealed class JobGrainLifetimeTests : IAsyncLifetime
{
    private static readonly TimeSpan CollectionAge = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly FakeClusterBackends _backends = new();
    private JobGrainsHost _host = null!;

    public async Task InitializeAsync() => _host = await JobGrainsHost.StartAsync(_backends.Local, CollectionAge);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task SucceededJobs_IdlePastTheCollectionAge_NoJobGrainStaysActive()
    {
        _host.Workers.Register(new Uri("http://127.0.0.1:6001"), 1, "");
        string[] jobIds = ["j-00000000000a", "j-00000000000b", "j-00000000000c"];
        // One spec for all three: writing it writes its data files, which a job submitted before may be reading.
        var spec = Spec(minWorkers: 1);
        foreach (string jobId in jobIds)
        {
            await _host.Grain(jobId).Submit(spec);
        }
        foreach (string jobId in jobIds)
        {
            var job = await WaitForEndAsync(jobId);
            Assert.True(job.State == JobState.Succeeded, $"{jobId} ended {job.State}: {job.Message}");
        }

        // No calls from here on: the ended jobs' grains are idle.
        int active = await ActiveJobGrainsAfterAsync(count => count == 0);

        Assert.Equal(0, active);
    }

    [Fact]
    public async Task WaitingJob_IdlePastTheCollectionAge_GrainStaysActiveAndItsRunGoesOn()
    {
        const string JobId = "j-00000000000d";
        await _host.Grain(JobId).Submit(Spec(minWorkers: 2));

        await Task.Delay(CollectionAge * 4);
        int active = await ActiveJobGrainsAfterAsync(_ => true);
        // A registration now: the run, still waiting, places the job as soon as two workers are there.
        _host.Workers.Register(new Uri("http://127.0.0.1:6001"), 1, "");
        _host.Workers.Register(new Uri("http://127.0.0.1:6002"), 1, "");

        Assert.Equal((1, JobState.Succeeded), (active, (await WaitForEndAsync(JobId)).State));
    }

    [Fact]
    public async Task Cancel_QueuedJobWithLoadedData_DataDropped()
    {
        const string JobId = "j-00000000000e";
        var spec = Spec(minWorkers: 2);
        _host.Inputs.Offer(JobId, JobInput.FromSpec(spec));
        await _host.Grain(JobId).Submit(spec);

        await _host.Grain(JobId).Cancel();

        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (_host.Inputs.Count > 0 && waited.Elapsed < Patience)
        {
            await Task.Delay(50);
        }
        Assert.Equal(0, _host.Inputs.Count);
    }

    private JobSpec Spec(int minWorkers)
    {
        var spec = TestJobs.Spec(_host.Directory, epochs: 1, trainRows: 64);
        spec.MinWorkers = minWorkers;
        return spec;
    }

    private async Task<Job> WaitForEndAsync(string jobId)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var job = (await _host.Grain(jobId).Get())!;
            if (job.State is JobState.Succeeded or JobState.Failed or JobState.Cancelled || waited.Elapsed > Patience)
            {
                return job;
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Job grain activations in the silo, asked until <paramref name="done"/> holds or the patience runs out (calls no job grain).</summary>
    private async Task<int> ActiveJobGrainsAfterAsync(Func<int, bool> done)
    {
        var management = _host.Grains.GetGrain<IManagementGrain>(0);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var statistics = await management.GetSimpleGrainStatistics();
            int active = statistics.Where(statistic => statistic.GrainType.Contains("JobGrain", StringComparison.OrdinalIgnoreCase))
                .Sum(statistic => statistic.ActivationCount);
            if (done(active) || waited.Elapsed > Patience)
            {
                return active;
            }
            await Task.Delay(250);
        }
    }
}
