using System.CommandLine;
using System.Globalization;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Client.Commands;

/// <summary>`trainctl list`: the coordinator's jobs, newest first.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var limit = new Option<int>("--limit") { Description = "Show at most this many jobs (default 0: all)." };
        var flags = new CoordinatorConnection.Flags();
        var command = new Command("list", "List the coordinator's jobs, newest first.") { limit };
        flags.AddTo(command);
        command.SetAction((parsed, cancellation) => flags.RunAsync(parsed, async (connection, json) =>
        {
            var response = await connection.Jobs.ListJobsAsync(new ListJobsRequest { Limit = parsed.GetValue(limit) },
                connection.Call(cancellation));
            if (json)
            {
                Console.Out.WriteLine(JobFollower.Format(response));
                return ExitCodes.Ok;
            }
            Console.Out.WriteLine($"{"JOB",-16} {"STATE",-20} {"NAME",-24} {"EPOCH",7} {"STEP",9} CREATED");
            foreach (var job in response.Jobs)
            {
                string created = DateTimeOffset.FromUnixTimeMilliseconds(job.CreatedUnixMs).ToString("u", CultureInfo.InvariantCulture);
                string epoch = $"{job.Progress?.Epoch ?? 0}/{job.Spec?.Epochs ?? 0}";
                Console.Out.WriteLine($"{job.JobId,-16} {job.State,-20} {job.Spec?.Name,-24} {epoch,7} {job.Progress?.Step ?? 0,9} {created}");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
