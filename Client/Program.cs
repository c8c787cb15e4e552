using System.CommandLine;
using DistributedTrainer.Client;
using DistributedTrainer.Client.Commands;

var root = new RootCommand("trainctl: train neural networks in one process or on a DistributedTrainer cluster.");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(SubmitCommand.Create());
root.Subcommands.Add(WatchCommand.Create());
root.Subcommands.Add(ListCommand.Create());
root.Subcommands.Add(CancelCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(TraceCommand.Create());

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"trainctl: {error.Message}");
    }
    return ExitCodes.InvalidInput;
}
return await parsed.InvokeAsync();
