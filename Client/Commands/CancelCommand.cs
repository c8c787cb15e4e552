using System.CommandLine;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Client.Commands;

/// <summary>`trainctl cancel JOB`: stops a queued or running job at its next step boundary.</summary>
internal static class CancelCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("JOB") { Description = "Job id." };
        var flags = new CoordinatorConnection.Flags();
        var command = new Command("cancel", "Cancel a queued or running job.") { job };
        flags.AddTo(command);
        command.SetAction((parsed, cancellation) => flags.RunAsync(parsed, async (connection, json) =>
        {
            var result = await connection.Jobs.CancelJobAsync(new CancelJobRequest { JobId = parsed.GetValue(job)! },
                connection.Call(cancellation));
            Console.Out.WriteLine(json ? JobFollower.Format(result) : $"{result.JobId} {result.State}: {result.Message}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
