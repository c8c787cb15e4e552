using System.CommandLine;
using DistributedTrainer.Client;
using DistributedTrainer.Client.Commands;

var root = new RootCommand("trainctl: train neural networks in one process or on a DistributedTrainer cluster.");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(LocalCommand.Create());
root.Subcommands.Add(SubmitCommand.Create());
root.Subcommands.Add(WatchCommand.Create());
root.Subcommands.Add(ListCommand.Create());
root.Subcommands.Add(CancelCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(TraceCommand.Create());
root.Subcommands.Add(SampleCommand.Create());
root.Subcommands.Add(SweepCommand.Create());
root.Subcommands.Add(DatasetCommand.Create());

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"trainctl: {error.Message}");
    }
    return ExitCodes.InvalidInput;
}
// On SIGINT/SIGTERM System.CommandLine cancels the command's token and, after this long, ends the process anyway. The
// default 2 s is too short for `local` to stop and reap its children and copy their outputs on a busy machine, or for
// `train` to reach the next step boundary; either then exits with its own code (3, cancelled).
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
