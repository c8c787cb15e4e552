using DistributedTrainer.Client.Commands;
using DistributedTrainer.Protos.V1;
using Grpc.Core;

namespace DistributedTrainer.Client.Local;

/// <summary>
/// `trainctl local --fault coordinator:restart@STEP`: watches the job on its own stream and, once it reports step
/// STEP, kills the coordinator and starts it again (<see cref="LocalCluster.RestartCoordinator"/>). The job's main
/// watch fails with the killed coordinator; <see cref="Killed"/> tells it that this was the drill.
/// </summary>
internal sealed class CoordinatorRestartDrill(LocalCluster cluster, long step, TimeSpan startupDeadline)
{
    private readonly TaskCompletionSource _killed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The step after which the coordinator is killed.</summary>
    public long Step { get; } = step;

    /// <summary>Completes when the coordinator is about to be killed.</summary>
    public Task Killed => _killed.Task;

    /// <summary>
    /// Runs the drill: completes when the restarted coordinator listens, or when the job ends before <see cref="Step"/>
    /// (then <see cref="Killed"/> never completes).
    /// </summary>
    /// <exception cref="ChildProcessException">The restarted coordinator did not start.</exception>
    public async Task RunAsync(CoordinatorConnection connection, string jobId, TextWriter diagnostics, CancellationToken cancellation)
    {
        using (var call = connection.Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, connection.Call(cancellation)))
        {
            bool reached = false;
            await foreach (var jobEvent in call.ResponseStream.ReadAllAsync(cancellation))
            {
                if (jobEvent.EventCase == JobEvent.EventOneofCase.Step && jobEvent.Step.Step >= Step)
                {
                    reached = true;
                    break;
                }
            }
            if (!reached)
            {
                return;
            }
        }
        diagnostics.WriteLine($"fault drill: killing the coordinator (pid {cluster.Coordinator.Id}) after step {Step} and starting it again");
        _killed.SetResult();
        await Task.Run(() => cluster.RestartCoordinator(startupDeadline), cancellation);
        diagnostics.WriteLine($"fault drill: the coordinator is back (pid {cluster.Coordinator.Id}); it resumes job {jobId} from its last checkpoint");
    }
}
