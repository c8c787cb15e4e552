using System.CommandLine;
using DistributedTrainer.Client.Local;
using DistributedTrainer.Client.Sweeps;
using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Sweeps;
using Google.Protobuf;
using Grpc.Core;

namespace DistributedTrainer.Client.Commands;

/// <summary>
/// `trainctl sweep SPEC [--local --workers N]`: checks a sweep spec (every error before any trial starts), submits it
/// to a coordinator (or, with --local, to a coordinator and N workers it starts as in `trainctl local`), follows it to
/// its end and writes its outputs (<see cref="SweepOutputs"/>) into --out. `sweep watch|list|cancel|export` act on a
/// sweep already submitted.
/// </summary>
internal static class SweepCommand
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);

    public static Command Create()
    {
        var spec = new Argument<FileInfo>("SPEC") { Description = "Sweep spec file (YAML or JSON); relative data paths resolve against its directory." };
        var local = new Option<bool>("--local") { Description = "Start a coordinator and --workers workers as local processes and run the sweep there." };
        var workers = new Option<int?>("--workers") { Description = "With --local: worker processes to start (default 2)." };
        var threads = new Option<int?>("--threads-per-worker") { Description = "With --local: kernel threads of each worker (default: cores / workers, at least 1)." };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Output directory: trials.csv, sweep.json, best-trial.json, best-checkpoint.tar, plots (default: out/<sweep name>)." };
        var flags = new CoordinatorConnection.Flags();
        var command = new Command("sweep", "Run a hyper-parameter sweep: trials are jobs sharing the coordinator's workers.") { spec, local, workers, threads, output };
        flags.AddTo(command);
        command.Subcommands.Add(WatchCommand());
        command.Subcommands.Add(ListCommand());
        command.Subcommands.Add(CancelCommand());
        command.Subcommands.Add(ExportCommand());
        command.SetAction(async (parsed, cancellation) =>
        {
            var sweep = Load(parsed.GetValue(spec)!.FullName);
            if (sweep is null)
            {
                return ExitCodes.InvalidInput;
            }
            string outputDirectory = parsed.GetValue(output)?.FullName ?? Path.GetFullPath(Path.Combine("out", sweep.Name));
            if (!parsed.GetValue(local))
            {
                return await flags.RunAsync(parsed, (connection, json) => RunAsync(connection, sweep, json, outputDirectory, cancellation));
            }
            return await RunLocalAsync(sweep, parsed.GetValue(workers) ?? 2, parsed.GetValue(threads), parsed.GetValue(flags.Json), outputDirectory, cancellation);
        });
        return command;
    }

    /// <summary>Reads and checks the sweep; prints every error and returns null when it is invalid.</summary>
    private static SweepSpec? Load(string path)
    {
        try
        {
            var sweep = SweepSpecLoader.LoadFile(path);
            SweepSpecValidator.Validate(sweep, JobLimits.Default).ThrowIfInvalid();
            return sweep;
        }
        catch (JobSpecException invalid)
        {
            Console.Error.WriteLine(invalid.Message);
        }
        catch (FileNotFoundException missing)
        {
            Console.Error.WriteLine($"spec: file not found: {missing.FileName ?? path}");
        }
        catch (ArgumentException unsupported)
        {
            Console.Error.WriteLine($"spec: {unsupported.Message}");
        }
        return null;
    }

    private static async Task<int> RunAsync(CoordinatorConnection connection, SweepSpec spec, bool json, string outputDirectory, CancellationToken cancellation)
    {
        var diagnostics = json ? Console.Error : Console.Out;
        var submitted = await connection.Sweeps.SubmitSweepAsync(new SubmitSweepRequest { Spec = spec }, connection.Call(cancellation));
        diagnostics.WriteLine($"submitted sweep {submitted.SweepId}");
        var sweep = await SweepFollower.FollowAsync(connection, submitted.SweepId, json, cancellation);
        return await FinishAsync(connection, sweep, json, outputDirectory, cancellation);
    }

    private static async Task<int> RunLocalAsync(SweepSpec spec, int workers, int? threads, bool json, string outputDirectory, CancellationToken cancellation)
    {
        var diagnostics = json ? Console.Error : Console.Out;
        if (workers < 1 || workers > JobLimits.Default.MaxWorkers)
        {
            Console.Error.WriteLine($"--workers: must be in [1, {JobLimits.Default.MaxWorkers}], got {workers}");
            return ExitCodes.InvalidInput;
        }
        if (threads is < 1)
        {
            Console.Error.WriteLine($"--threads-per-worker: must be >= 1, got {threads}");
            return ExitCodes.InvalidInput;
        }
        // The workers are shared out among the trials that run at once.
        int concurrent = SweepSpecValidator.Plan(spec, JobLimits.Default).MaxConcurrentTrials;
        int perTrial = Math.Max(1, workers / concurrent);
        if (spec.Base.MinWorkers != perTrial || spec.Base.MaxWorkers != perTrial)
        {
            diagnostics.WriteLine($"trainctl sweep --local: each trial uses min_workers = max_workers = {perTrial} ({workers} workers, {concurrent} trials at once); the base spec says {spec.Base.MinWorkers}..{spec.Base.MaxWorkers}");
            spec.Base.MinWorkers = perTrial;
            spec.Base.MaxWorkers = perTrial;
        }
        ClusterExecutables executables;
        try
        {
            executables = ClusterExecutables.Locate(AppContext.BaseDirectory);
        }
        catch (FileNotFoundException missing)
        {
            Console.Error.WriteLine($"trainctl: {missing.Message}");
            return ExitCodes.Failure;
        }
        Directory.CreateDirectory(outputDirectory);
        int threadsPerWorker = threads ?? Math.Max(1, Environment.ProcessorCount / workers);
        LocalCluster cluster;
        try
        {
            // Synchronous and before the first await, as in `trainctl local`: the children's parent-death signal is
            // tied to the thread that forks them.
            cluster = LocalCluster.Start(executables, workers, threadsPerWorker, outputDirectory, LocalCommand.StartupDeadline,
                LocalFaults.None, LocalDataRoots.Of(spec.Base), LocalDevices.None, ringSharedMemory: LocalCluster.DefaultRingSharedMemory);
        }
        catch (ChildProcessException failed)
        {
            Console.Error.WriteLine($"trainctl: {failed.Message}");
            return ExitCodes.Failure;
        }
        using (cluster)
        {
            diagnostics.WriteLine($"local cluster: coordinator {cluster.CoordinatorAddress.ToString().TrimEnd('/')}, {workers} worker(s) x {threadsPerWorker} thread(s); " +
                $"logs in {Path.Combine(outputDirectory, LocalCluster.LogsDirectory)}");
            using var connection = CoordinatorConnection.Open(cluster.CoordinatorAddress);
            try
            {
                return await RunAsync(connection, spec, json, outputDirectory, cancellation);
            }
            catch (RpcException failure) when (!cancellation.IsCancellationRequested)
            {
                return CoordinatorConnection.Report(failure, cluster.CoordinatorAddress);
            }
            catch (Exception) when (cancellation.IsCancellationRequested)
            {
                Console.Error.WriteLine($"trainctl: cancelled; stopped the coordinator and {workers} workers; its state is in {outputDirectory}.");
                return ExitCodes.JobFailed;
            }
        }
    }

    private static async Task<int> FinishAsync(CoordinatorConnection connection, Sweep sweep, bool json, string outputDirectory, CancellationToken cancellation)
    {
        var diagnostics = json ? Console.Error : Console.Out;
        var written = await SweepOutputs.WriteAsync(connection, sweep, outputDirectory, cancellation);
        diagnostics.WriteLine($"wrote {string.Join(", ", written.Select(Path.GetFileName))} in {outputDirectory}");
        if (json)
        {
            Console.Out.WriteLine(Formatter.Format(sweep));
        }
        else
        {
            Console.Out.WriteLine($"sweep {SweepLines.Sweep(sweep)}");
        }
        return sweep.State == SweepState.SweepSucceeded ? ExitCodes.Ok : ExitCodes.JobFailed;
    }

    private static Command WatchCommand()
    {
        var id = new Argument<string>("SWEEP") { Description = "Sweep id (from sweep or sweep list)." };
        var flags = new CoordinatorConnection.Flags();
        var command = new Command("watch", "Follow a sweep until it ends.") { id };
        flags.AddTo(command);
        command.SetAction((parsed, cancellation) => flags.RunAsync(parsed, async (connection, json) =>
        {
            var sweep = await SweepFollower.FollowAsync(connection, parsed.GetValue(id)!, json, cancellation);
            Console.Out.WriteLine(json ? Formatter.Format(sweep) : $"sweep {SweepLines.Sweep(sweep)}");
            return sweep.State == SweepState.SweepSucceeded ? ExitCodes.Ok : ExitCodes.JobFailed;
        }));
        return command;
    }

    private static Command ListCommand()
    {
        var limit = new Option<int>("--limit") { Description = "Show at most this many sweeps (default 0: all)." };
        var flags = new CoordinatorConnection.Flags();
        var command = new Command("list", "List the coordinator's sweeps, newest first.") { limit };
        flags.AddTo(command);
        command.SetAction((parsed, cancellation) => flags.RunAsync(parsed, async (connection, json) =>
        {
            var response = await connection.Sweeps.ListSweepsAsync(new ListSweepsRequest { Limit = parsed.GetValue(limit) }, connection.Call(cancellation));
            foreach (var sweep in response.Sweeps)
            {
                Console.Out.WriteLine(json ? Formatter.Format(sweep) : SweepLines.Sweep(sweep));
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command CancelCommand()
    {
        var id = new Argument<string>("SWEEP") { Description = "Sweep id." };
        var flags = new CoordinatorConnection.Flags();
        var command = new Command("cancel", "Start no more trials of a sweep and cancel its running ones.") { id };
        flags.AddTo(command);
        command.SetAction((parsed, cancellation) => flags.RunAsync(parsed, async (connection, json) =>
        {
            var sweep = await connection.Sweeps.CancelSweepAsync(new CancelSweepRequest { SweepId = parsed.GetValue(id)! }, connection.Call(cancellation));
            Console.Out.WriteLine(json ? Formatter.Format(sweep) : $"cancel requested: {SweepLines.Sweep(sweep)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command ExportCommand()
    {
        var id = new Argument<string>("SWEEP") { Description = "Sweep id." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Output directory.", Required = true };
        var flags = new CoordinatorConnection.Flags();
        var command = new Command("export", "Write a sweep's trials.csv, best trial's spec and checkpoint, and plots.") { id, output };
        flags.AddTo(command);
        command.SetAction((parsed, cancellation) => flags.RunAsync(parsed, async (connection, json) =>
        {
            var sweep = await connection.Sweeps.GetSweepAsync(new GetSweepRequest { SweepId = parsed.GetValue(id)! }, connection.Call(cancellation));
            // The outputs of a sweep in any state; the exit code says whether they were written, not how the sweep ended.
            _ = await FinishAsync(connection, sweep, json, parsed.GetValue(output)!.FullName, cancellation);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
