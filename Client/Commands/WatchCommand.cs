using System.CommandLine;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Client.Commands;

/// <summary>`trainctl watch JOB`: follows a job's progress until it ends; the exit code is its outcome.</summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("JOB") { Description = "Job id (from submit or list)." };
        var flags = new CoordinatorConnection.Flags();
        var command = new Command("watch", "Follow a job until it ends.") { job };
        flags.AddTo(command);
        command.SetAction((parsed, cancellation) => flags.RunAsync(parsed, async (connection, json) =>
        {
            string jobId = parsed.GetValue(job)!;
            var current = await connection.Jobs.GetJobAsync(new GetJobRequest { JobId = jobId }, connection.Call(cancellation));
            return await JobFollower.FollowAsync(connection, jobId, current.Spec?.Epochs ?? 0, json, cancellation);
        }));
        return command;
    }
}
