using System.CommandLine;
using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Client.Commands;

/// <summary>`trainctl submit SPEC`: sends a job to the coordinator, and with --watch follows it to the end.</summary>
internal static class SubmitCommand
{
    public static Command Create()
    {
        var spec = new Argument<FileInfo>("SPEC") { Description = "Job spec file (YAML or JSON); relative data paths resolve against its directory." };
        var watch = new Option<bool>("--watch") { Description = "Follow the job until it ends; the exit code is its outcome." };
        var flags = new CoordinatorConnection.Flags();
        var command = new Command("submit", "Submit a job to the coordinator.") { spec, watch };
        flags.AddTo(command);
        command.SetAction((parsed, cancellation) => flags.RunAsync(parsed, (connection, json) =>
            RunAsync(connection, parsed.GetValue(spec)!.FullName, parsed.GetValue(watch), json, cancellation)));
        return command;
    }

    private static async Task<int> RunAsync(CoordinatorConnection connection, string specPath, bool watch, bool json, CancellationToken cancellation)
    {
        JobSpec spec;
        try
        {
            spec = JobSpecLoader.LoadFile(specPath);
        }
        catch (JobSpecException invalid)
        {
            Console.Error.WriteLine(invalid.Message);
            return ExitCodes.InvalidInput;
        }
        catch (FileNotFoundException missing)
        {
            Console.Error.WriteLine($"spec: file not found: {missing.FileName ?? specPath}");
            return ExitCodes.InvalidInput;
        }
        if (spec.Name.Length == 0)
        {
            spec.Name = Path.GetFileNameWithoutExtension(specPath);
        }
        var submitted = await connection.Jobs.SubmitJobAsync(new SubmitJobRequest { Spec = spec }, connection.Call(cancellation));
        if (watch)
        {
            (json ? Console.Error : Console.Out).WriteLine($"submitted {submitted.JobId}");
            return await JobFollower.FollowAsync(connection, submitted.JobId, spec.Epochs, json, cancellation);
        }
        Console.Out.WriteLine(json ? JobFollower.Format(submitted) : submitted.JobId);
        return ExitCodes.Ok;
    }
}
