using System.CommandLine;
using System.Globalization;
using DistributedTrainer.Client.Local;
using DistributedTrainer.Client.Output;
using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Reports;
using Grpc.Core;
using DistributedTrainer.Training;

namespace DistributedTrainer.Client.Commands;

/// <summary>
/// `trainctl local SPEC --workers N`: starts a coordinator and N workers as child processes on free loopback ports,
/// trains the job on them, leaves the outputs of `trainctl train` in --out and prints the same summary; every process
/// it started is stopped when it ends, on success, failure, Ctrl-C or SIGTERM.
/// </summary>
internal static class LocalCommand
{
    /// <summary>How long each child may take to print its "listening on" line (a cold start on a busy machine).</summary>
    public static readonly TimeSpan StartupDeadline = TimeSpan.FromSeconds(60);

    public static Command Create()
    {
        var spec = new Argument<FileInfo>("SPEC") { Description = "Job spec file (YAML or JSON); relative data paths resolve against its directory." };
        var workers = new Option<int>("--workers") { Description = "Worker processes to start; the job's min_workers and max_workers are set to it.", Required = true };
        var threads = new Option<int?>("--threads-per-worker") { Description = "Kernel threads of each worker (default: cores / workers, at least 1)." };
        var epochs = new Option<int?>("--epochs") { Description = "Override the spec's number of epochs." };
        var output = new Option<DirectoryInfo?>("--out")
        {
            Description = "Output directory: checkpoints/, metrics.csv, curves.svg, tensorboard/ as with `train`, plus logs/, pids and the coordinator's state/ (default: out/<spec name>).",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON summary object on stdout (as `train --json`); progress goes to stderr." };
        var faults = new Option<string[]>("--fault")
        {
            Description = "Fault drill, repeatable: K:exit@STEP (worker K kills itself mid-step STEP), K:drop-ring@STEP (worker K stops " +
                "sending ring pieces from STEP on), K:delay-ring=MS (worker K holds each ring piece MS ms), K:slow=FACTOR (worker K " +
                "computes FACTOR times slower), coordinator:restart@STEP (the coordinator is killed after step STEP and started again). " +
                "min_workers becomes --workers minus the workers with an exit or drop-ring fault.",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var devices = new Option<string[]>("--device")
        {
            Description = "What the workers compute on, repeatable: DEVICE for every worker, K:DEVICE for worker K (it wins), DEVICE one of " +
                $"{ComputeDevice.Accepted}; e.g. --device cuda --device 2:cpu. Default cpu (the SIMD kernels).",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var pinWorkers = new Option<bool>("--pin-workers")
        {
            Description = "Confine each worker to CPUs of its own (Linux): worker K gets the K-th group of --threads-per-worker CPUs " +
                "among those trainctl may run on; the coordinator runs on any. Needs workers x threads-per-worker CPUs.",
        };
        var ownShardsOnly = new Option<bool>("--own-shards-only")
        {
            Description = "Each worker computes only the micro-shards the coordinator gave it. By default a worker done with its own takes " +
                "over those another has not started (through OUT/shard-board; the result is the same bit for bit).",
        };
        var ringOverTcp = new Option<bool>("--ring-over-tcp")
        {
            Description = "The workers' ring links carry their pieces over loopback TCP. By default, on Linux, two workers pass them through " +
                "a shared-memory inbox in /dev/shm (the gRPC stream stays open beside it; the result is the same bit for bit).",
        };
        var command = new Command("local", "Train a job on a coordinator and N workers started as local processes.") { spec, workers, threads, epochs, output, json, faults, devices, pinWorkers, ownShardsOnly, ringOverTcp };
        command.SetAction((parsed, cancellation) => RunAsync(new LocalArguments(
            parsed.GetValue(spec)!.FullName,
            parsed.GetValue(workers),
            parsed.GetValue(threads),
            parsed.GetValue(epochs),
            parsed.GetValue(output)?.FullName,
            parsed.GetValue(json),
            parsed.GetValue(faults) ?? [],
            parsed.GetValue(devices) ?? [],
            parsed.GetValue(pinWorkers),
            parsed.GetValue(ownShardsOnly),
            parsed.GetValue(ringOverTcp)), cancellation));
        return command;
    }

    internal static async Task<int> RunAsync(LocalArguments arguments, CancellationToken cancellation)
    {
        var diagnostics = arguments.Json ? Console.Error : Console.Out;
        if (Validate(arguments) is { } invalid)
        {
            Console.Error.WriteLine(invalid);
            return ExitCodes.InvalidInput;
        }
        var faults = LocalFaults.Parse(arguments.Faults, arguments.Workers);
        var devices = LocalDevices.Parse(arguments.Devices, arguments.Workers);
        int threadsPerWorker = ThreadsPerWorker(arguments);
        var workerCpus = arguments.PinWorkers ? WorkerCpus.Assign(arguments.Workers, threadsPerWorker) : null;
        JobSpec spec;
        try
        {
            spec = LoadSpec(arguments, faults, diagnostics);
        }
        catch (JobInputException failure)
        {
            Console.Error.WriteLine(failure.Message);
            return ExitCodes.InvalidInput;
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
        string outputDirectory = arguments.OutputDirectory ?? Path.GetFullPath(Path.Combine("out", spec.Name));
        Directory.CreateDirectory(outputDirectory);

        LocalCluster cluster;
        try
        {
            // Synchronous, and before the first await: the children are forked from the main thread, which lives as
            // long as trainctl (their parent-death signal is tied to the forking thread).
            cluster = LocalCluster.Start(executables, arguments.Workers, threadsPerWorker, outputDirectory, StartupDeadline, faults,
                LocalDataRoots.Of(spec), devices, workerCpus, shareShards: !arguments.OwnShardsOnly,
                ringSharedMemory: arguments.RingOverTcp ? null : LocalCluster.DefaultRingSharedMemory);
        }
        catch (ChildProcessException failed)
        {
            Console.Error.WriteLine($"trainctl: {failed.Message}");
            return ExitCodes.Failure;
        }
        using (cluster)
        {
            string dashboard = cluster.Coordinator.DashboardAddress is { } page ? $" (dashboard {page.ToString().TrimEnd('/')})" : "";
            diagnostics.WriteLine($"local cluster: coordinator {cluster.CoordinatorAddress.ToString().TrimEnd('/')}{dashboard}, {arguments.Workers} worker(s) x {threadsPerWorker} thread(s) on {devices.Describe(arguments.Workers)}" +
                (workerCpus is null ? "" : $", confined to CPUs {string.Join(" / ", workerCpus)}") + "; " +
                $"logs in {Path.Combine(outputDirectory, LocalCluster.LogsDirectory)}");
            using var connection = CoordinatorConnection.Open(cluster.CoordinatorAddress);
            string? jobId = null;
            try
            {
                var submitted = await connection.Jobs.SubmitJobAsync(new SubmitJobRequest { Spec = spec }, connection.Call(cancellation));
                jobId = submitted.JobId;
                diagnostics.WriteLine($"submitted {jobId}");
                var drill = faults.CoordinatorRestartStep is { } step ? new CoordinatorRestartDrill(cluster, step, StartupDeadline) : null;
                return await FollowAsync(cluster, connection, jobId, spec.Epochs, arguments.Json, outputDirectory, drill, cancellation);
            }
            catch (Exception) when (cancellation.IsCancellationRequested)
            {
                cluster.Dispose();
                await CopyOutputsAsync(cluster, jobId, outputDirectory);
                Console.Error.WriteLine($"trainctl: cancelled; stopped the coordinator and {arguments.Workers} workers; the last checkpoint is in {outputDirectory}.");
                return ExitCodes.JobFailed;
            }
            catch (RpcException failure)
            {
                return CoordinatorConnection.Report(failure, cluster.CoordinatorAddress);
            }
            catch (ChildProcessException failed)
            {
                cluster.Dispose();
                await CopyOutputsAsync(cluster, jobId, outputDirectory);
                Console.Error.WriteLine($"trainctl: {failed.Message}");
                return ExitCodes.Failure;
            }
        }
    }

    private static async Task<int> FollowAsync(LocalCluster cluster, CoordinatorConnection connection, string jobId, int epochs, bool json,
        string outputDirectory, CoordinatorRestartDrill? drill, CancellationToken cancellation)
    {
        var diagnostics = json ? Console.Error : Console.Out;
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var drilling = drill?.RunAsync(connection, jobId, diagnostics, watching.Token) ?? Task.CompletedTask;
        var follow = JobFollower.WatchToEndAsync(connection, jobId, epochs, json, watching.Token);
        var exited = cluster.UnexpectedExit;
        bool followingRestarted = false;
        Task first;
        while ((first = await Task.WhenAny(follow, exited)) == follow && !follow.IsCompletedSuccessfully
            && drill is { Killed.IsCompleted: true } && !followingRestarted)
        {
            // The drill killed the coordinator under the watch: follow the job again once the new one listens.
            await drilling;
            followingRestarted = true;
            follow = JobFollower.WatchToEndAsync(connection, jobId, epochs, json, watching.Token);
        }
        if (first == exited)
        {
            // Ctrl-C on a terminal reaches the children too (one process group), and they exit on SIGINT: that is
            // the cancellation, not a crash.
            cancellation.ThrowIfCancellationRequested();
            await watching.CancelAsync();
            var child = await exited;
            try
            {
                await follow;
            }
            catch (Exception) when (watching.IsCancellationRequested)
            {
                // The watch was cancelled above, or failed because the coordinator is the child that died.
            }
            cluster.Dispose();
            await CopyOutputsAsync(cluster, jobId, outputDirectory);
            Console.Error.WriteLine($"trainctl: {child.Describe($"exited with code {child.Exited.Result} while job {jobId} was running")}");
            return ExitCodes.Failure;
        }
        var job = await follow;
        await watching.CancelAsync();
        if (drill is not null && !drill.Killed.IsCompleted)
        {
            diagnostics.WriteLine($"trainctl: the coordinator restart drill did not run: job {jobId} ended before step {drill.Step}");
        }
        cluster.Dispose();
        await CopyOutputsAsync(cluster, jobId, outputDirectory);
        if (job.State != JobState.Succeeded)
        {
            Console.Error.WriteLine($"trainctl: job {jobId} {job.State}: {job.Message}");
            return JobFollower.ExitCode(job.State);
        }
        if (job.Spec?.Adversarial is not null)
        {
            var adversarial = LocalJobOutputs.AdversarialSummary(job, outputDirectory);
            Console.Out.WriteLine(json
                ? SummaryJson.Format(adversarial, outputDirectory)
                : string.Create(CultureInfo.InvariantCulture,
                    $"done: discriminator loss {adversarial.DiscriminatorLoss:F4}, generator loss {adversarial.GeneratorLoss:F4}, {adversarial.WallSeconds:F1} s; samples in {Path.Combine(outputDirectory, AdversarialOutputs.SamplesFile)}"));
            return ExitCodes.Ok;
        }
        var summary = LocalJobOutputs.Summary(job, outputDirectory);
        if (json)
        {
            Console.Out.WriteLine(SummaryJson.Format(summary, outputDirectory));
        }
        else
        {
            Console.Out.WriteLine(
                $"done: test accuracy {summary.TestAccuracy:P2}, {summary.TrainSamplesPerSecond:F0} samples/s, {summary.WallSeconds:F1} s; outputs in {outputDirectory}");
        }
        return ExitCodes.Ok;
    }

    private static async Task CopyOutputsAsync(LocalCluster cluster, string? jobId, string outputDirectory)
    {
        if (jobId is not null)
        {
            await LocalJobOutputs.CopyAsync(LocalJobOutputs.JobDirectory(cluster.StateDirectory, jobId), outputDirectory);
        }
    }

    /// <summary>The first invalid flag, as a message naming it; null when all are valid.</summary>
    internal static string? Validate(LocalArguments arguments)
    {
        if (arguments.Workers < 1 || arguments.Workers > JobLimits.Default.MaxWorkers)
        {
            return $"--workers: must be in [1, {JobLimits.Default.MaxWorkers}], got {arguments.Workers}";
        }
        if (arguments.ThreadsPerWorker is < 1)
        {
            return $"--threads-per-worker: must be >= 1, got {arguments.ThreadsPerWorker}";
        }
        if (arguments.Epochs is < 1)
        {
            return $"--epochs: must be >= 1, got {arguments.Epochs}";
        }
        try
        {
            LocalFaults.Parse(arguments.Faults, arguments.Workers);
            LocalDevices.Parse(arguments.Devices, arguments.Workers);
            if (arguments.PinWorkers)
            {
                WorkerCpus.Assign(arguments.Workers, ThreadsPerWorker(arguments));
            }
        }
        catch (ArgumentException invalid)
        {
            return invalid.Message;
        }
        return null;
    }

    // --threads-per-worker, or the cores shared out among the workers.
    private static int ThreadsPerWorker(LocalArguments arguments) =>
        arguments.ThreadsPerWorker ?? Math.Max(1, Environment.ProcessorCount / arguments.Workers);

    /// <summary>Reads and checks the spec, applies --epochs, and sets min_workers = max_workers = --workers (saying so when that changes them).</summary>
    private static JobSpec LoadSpec(LocalArguments arguments, LocalFaults faults, TextWriter diagnostics)
    {
        JobSpec spec;
        try
        {
            spec = JobSpecLoader.LoadFile(arguments.SpecPath);
        }
        catch (JobSpecException invalid)
        {
            throw new JobInputException(invalid.Message);
        }
        catch (FileNotFoundException missing)
        {
            throw new JobInputException($"spec: file not found: {missing.FileName ?? arguments.SpecPath}");
        }
        catch (ArgumentException unsupported)
        {
            throw new JobInputException($"spec: {unsupported.Message}");
        }
        if (spec.Name.Length == 0)
        {
            spec.Name = Path.GetFileNameWithoutExtension(arguments.SpecPath);
        }
        if (arguments.Epochs is { } epochs)
        {
            spec.Epochs = epochs;
        }
        // A worker that leaves by its drill is dropped from the job; the others must be allowed to go on without it.
        int minimum = arguments.Workers - faults.LeavingWorkers.Count;
        if (spec.MinWorkers != minimum || spec.MaxWorkers != arguments.Workers)
        {
            diagnostics.WriteLine(minimum == arguments.Workers
                ? $"trainctl local: using min_workers = max_workers = {arguments.Workers} (--workers); the spec says min_workers {spec.MinWorkers}, max_workers {spec.MaxWorkers}"
                : $"trainctl local: using min_workers = {minimum}, max_workers = {arguments.Workers} (--workers less the workers with an exit or drop-ring fault); the spec says min_workers {spec.MinWorkers}, max_workers {spec.MaxWorkers}");
            spec.MinWorkers = minimum;
            spec.MaxWorkers = arguments.Workers;
        }
        var validation = JobSpecValidator.Validate(spec, JobLimits.Default);
        if (!validation.IsValid)
        {
            throw new JobInputException(validation.ToString());
        }
        return spec;
    }
}

/// <summary>The parsed flags of `trainctl local`.</summary>
internal sealed record LocalArguments(string SpecPath, int Workers, int? ThreadsPerWorker = null, int? Epochs = null,
    string? OutputDirectory = null, bool Json = false, IReadOnlyList<string>? FaultList = null, IReadOnlyList<string>? DeviceList = null,
    bool PinWorkers = false, bool OwnShardsOnly = false, bool RingOverTcp = false)
{
    /// <summary>--fault values, "K:SPEC" each; empty without drills.</summary>
    public IReadOnlyList<string> Faults => FaultList ?? [];

    /// <summary>--device values, "DEVICE" or "K:DEVICE" each; empty: every worker on cpu.</summary>
    public IReadOnlyList<string> Devices => DeviceList ?? [];
}
