using System.Diagnostics;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Cluster;
using DistributedTrainer.Tests.Coordinator;
using DistributedTrainer.Tests.Training;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>
/// A real coordinator with one worker on the SIMD kernels and one on the test device (ILGPU's CPU accelerator: the GPU kernels on threads),
/// over gRPC on loopback: the mixed job trains to the accuracy of a CPU-only run.
/// </summary>
public sealed class MixedDeviceClusterTests : IAsyncDisposable
{
    private readonly InProcessCluster _cluster = new();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Theory]
    [InlineData("mlp")]
    [InlineData("convolution")]
    public async Task Job_OneSimdAndOneDeviceWorker_ReachesTheCpuOnlyRunsTestAccuracy(string model)
    {
        var spec = ClusterJobs.WriteSpec(_cluster.Directory, epochs: 4);
        spec.Model = model == "convolution" ? DeviceJobs.ConvolutionSpec().Model : DeviceJobs.Spec().Model;
        spec.MinWorkers = 2;
        spec.MaxWorkers = 2;
        var input = JobInput.FromSpec(spec);
        using var cpuOnly = Trainer.Create(input.Spec, input.Data);
        var expected = cpuOnly.Run(new RecordingObserver());
        var coordinator = await _cluster.StartCoordinatorAsync();
        await _cluster.StartWorkersAsync(coordinator, 1);
        await _cluster.StartWorkersAsync(coordinator, 1, device: TestDevice.Current);

        string jobId = await InProcessCluster.SubmitAsync(coordinator, spec);
        var job = await FinishedAsync(coordinator, jobId, TimeSpan.FromSeconds(180));

        Assert.Equal((JobState.Succeeded, 2), (job.State, job.Progress.Workers));
        // The device's floats differ from the SIMD kernels' by rounding, so the runs are not bitwise equal: within 2 points.
        Assert.InRange(job.Result.TestAccuracy, expected.TestAccuracy - 0.02, expected.TestAccuracy + 0.02);
        Assert.True(expected.TestAccuracy > 0.9, $"the CPU-only run reached only {expected.TestAccuracy:P1}");
    }

    private static async Task<Job> FinishedAsync(DistributedTrainer.Coordinator.CoordinatorServer coordinator, string jobId, TimeSpan limit)
    {
        var waiting = Stopwatch.StartNew();
        while (true)
        {
            var job = await InProcessCluster.GetAsync(coordinator, jobId);
            if (job.State is JobState.Succeeded or JobState.Failed or JobState.Cancelled)
            {
                return job;
            }
            Assert.True(waiting.Elapsed < limit, $"job {jobId} still {job.State} at step {job.Progress.Step} after {limit.TotalSeconds} s: {job.Message}");
            await Task.Delay(100);
        }
    }
}
