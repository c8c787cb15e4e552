using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using Google.Protobuf;
using static DistributedTrainer.Bench.BenchEnvironment;

namespace DistributedTrainer.Bench;

/// <summary>
/// Training samples/s of the local cluster against PyTorch DistributedDataParallel, side by side in one run, on the
/// reference MLP (examples/fashion-mnist-mlp.yaml) at batch 128 and 512, with 2 and 3 workers (`--workers 2,3`):
/// - the cluster: `trainctl local SPEC --workers W --threads-per-worker T --epochs 1 --json --out DIR` (a coordinator
///   and W worker processes on loopback), two figures: the job's own train_samples_per_second over the epoch
///   (evaluation, process start and worker registration excluded; the workers' data loading and ring set-up, which
///   the job's first step waits for, and the first steps' JIT warm-up included), and the steady figure: the steps after
///   the first <see cref="WarmupSteps"/>, timed from the coordinator's train.step spans in DIR/telemetry (the last
///   warm-up step's end to the last step's end), the rule DDP's figure is timed by;
/// - DDP: Bench/pytorch_ddp.py, W processes x 1 thread on gloo, each rank its share of the same global batch, timed
///   over an epoch's number of steps after <see cref="WarmupSteps"/> warm-up steps (its data loading and process group
///   set-up before them). One thread means torch's threads and OpenBLAS's pool; a second DDP figure leaves OpenBLAS its
///   own pool of one thread per core (Debian's default, which torch.set_num_threads does not bound), so each rank's
///   GEMMs may use every core. The ratios are against the first, the configuration the cluster runs.
/// Each row measures the cluster first, then DDP, so both see about the same load; a figure is the best of the rounds.
/// `--threads-per-worker T` (default 1, the issue's comparison) gives each worker T kernel threads: with 2, a worker
/// computes on both cores while its partner waits, as a DDP rank's OpenBLAS pool does.
/// `--micro-shard N` sets the cluster's micro_shard_size (a job setting, default the spec's: 32); `--micro-shard
/// per-worker` sets it to the batch over the workers, so that each worker computes its share in one pass, as a DDP rank
/// does.
/// `--pin` confines each worker to a CPU of its own (`trainctl local --pin-workers`) and each DDP rank likewise
/// (pytorch_ddp.py --pin): both sides pinned, or neither.
/// trainctl is the one built beside Bench (Bench.csproj builds Client, which builds Coordinator and Worker), or the
/// `--trainctl PATH` given: a published layout's (docs/BENCHMARKS.md times a ReadyToRun one that way).
/// </summary>
internal static class ClusterBenchmark
{
    private const string DefaultSpec = "examples/fashion-mnist-mlp.yaml";
    private const string Python = "/usr/bin/python3";
    private static readonly int[] Batches = [128, 512];

    /// <summary>Steps both sides run before their steady figure is timed.</summary>
    private const int WarmupSteps = 20;

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        int[] workerCounts = Ints(Option(args, "--workers") ?? "2,3");
        string? microShard = Option(args, "--micro-shard");
        int givenMicroShard = 0;
        if (microShard is not null && microShard != PerWorker
            && !(int.TryParse(microShard, NumberStyles.None, CultureInfo.InvariantCulture, out givenMicroShard) && givenMicroShard > 0))
        {
            Console.Error.WriteLine($"--micro-shard: '{microShard}' is neither a positive number of samples nor '{PerWorker}'");
            return 2;
        }
        string threadsOption = Option(args, "--threads-per-worker") ?? "1";
        if (!(int.TryParse(threadsOption, NumberStyles.None, CultureInfo.InvariantCulture, out int threadsPerWorker) && threadsPerWorker > 0))
        {
            Console.Error.WriteLine($"--threads-per-worker: '{threadsOption}' is not a positive number of threads");
            return 2;
        }
        int rounds = quick ? 1 : 2;
        bool pin = args.Contains("--pin");
        string trainctl = Option(args, "--trainctl") is { } given ? Path.GetFullPath(given) : LocateTrainctl();
        if (!File.Exists(trainctl))
        {
            Console.Error.WriteLine($"--trainctl: '{trainctl}' does not exist (give the trainctl.dll of a build or a published layout)");
            return 2;
        }
        string script = Path.Combine(AppContext.BaseDirectory, "pytorch_ddp.py");
        var job = JobInput.Load(DefaultSpec);
        string scratch = Directory.CreateTempSubdirectory("dt-bench-cluster-").FullName;
        try
        {
            Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; spec {DefaultSpec}; {Environment.ProcessorCount} cores; load average {LoadAverage()}; " +
                $"cluster: trainctl local ({trainctl}), W workers x {threadsPerWorker} thread(s), one epoch, micro_shard_size {microShard ?? "the spec's"}; DDP: gloo, W processes x 1 thread (torch's and OpenBLAS's), and again with OpenBLAS's own pool; " +
                (pin ? "every worker and every rank confined to CPUs of its own; " : "") + $"best of {rounds} round(s).");
            Console.WriteLine();
            Console.WriteLine($"| Workers | Batch | Steps | Cluster samples/s, epoch | Cluster samples/s, after {WarmupSteps} steps | DDP samples/s, after {WarmupSteps} steps | " +
                "DDP with OpenBLAS's pool | Epoch / DDP | Steady / DDP | Steady / DDP with pool | Load average after |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
            foreach (var (workers, batch) in workerCounts.SelectMany(workers => Batches.Select(batch => (workers, batch))))
            {
                int steps = Trainer.StepsPerEpoch(job.Data.Train.Count, batch);
                double epoch = 0;
                double steady = 0;
                double ddp = 0;
                double ddpWithPool = 0;
                string? clusterFailure = null;
                for (int round = 0; round < rounds; round++)
                {
                    var run = RunCluster(trainctl, job.Spec, workers, threadsPerWorker, batch, microShard switch
                        {
                            null => job.Spec.MicroShardSize,
                            PerWorker => batch / workers,
                            _ => givenMicroShard,
                        },
                        pin, Path.Combine(scratch, $"w{workers}-b{batch}-r{round}"));
                    epoch = Math.Max(epoch, run.Epoch);
                    steady = Math.Max(steady, run.Steady);
                    clusterFailure ??= run.Failure;
                    ddp = Math.Max(ddp, RunDdp(script, workers, batch, steps, blasPool: false, pin));
                    ddpWithPool = Math.Max(ddpWithPool, RunDdp(script, workers, batch, steps, blasPool: true, pin));
                }
                string epochText = epoch > 0 ? $"{epoch:0}" : $"failed: {clusterFailure}";
                string steadyText = steady > 0 ? $"{steady:0}" : "n/a";
                string epochRatio = epoch > 0 ? $"{epoch / ddp:0.00}" : "n/a";
                string steadyRatio = steady > 0 ? $"{steady / ddp:0.00}" : "n/a";
                string poolRatio = steady > 0 ? $"{steady / ddpWithPool:0.00}" : "n/a";
                Console.WriteLine($"| {workers} | {batch} | {steps} | {epochText} | {steadyText} | {ddp:0} | {ddpWithPool:0} | {epochRatio} | {steadyRatio} | " +
                    $"{poolRatio} | {LoadAverage()} |");
            }
            Console.WriteLine();
            return 0;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private const string PerWorker = "per-worker";

    /// <summary>
    /// One epoch of the spec at <paramref name="batch"/> on `trainctl local` with <paramref name="workers"/> workers of
    /// <paramref name="threadsPerWorker"/> kernel threads, each confined to CPUs of its own with <paramref name="pin"/>: its
    /// samples/s over the epoch and after the warm-up steps, or zeros and why it failed.
    /// </summary>
    private static (double Epoch, double Steady, string? Failure) RunCluster(string trainctl, JobSpec reference, int workers, int threadsPerWorker, int batch,
        int microShardSize, bool pin, string directory)
    {
        Directory.CreateDirectory(directory);
        var spec = reference.Clone();
        spec.BatchSize = batch;
        spec.MicroShardSize = microShardSize;
        spec.Epochs = 1;
        string specPath = Path.Combine(directory, "spec.json");
        File.WriteAllText(specPath, JsonFormatter.Default.Format(spec));
        var (exitCode, stdout, stderr) = Execute("dotnet", [trainctl, "local", specPath, "--workers", Text(workers), "--threads-per-worker", Text(threadsPerWorker),
            "--json", "--out", Path.Combine(directory, "out"), .. pin ? ["--pin-workers"] : Array.Empty<string>()]);
        if (exitCode != 0)
        {
            // trainctl's own error line ("trainctl: worker-1 (pid N) exited with code 1 ..."), else its last line.
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            string reason = lines.LastOrDefault(line => line.StartsWith("trainctl:", StringComparison.Ordinal)) ?? lines.LastOrDefault() ?? "";
            return (0, 0, $"exit code {exitCode}, {reason.Replace('|', '/')}");
        }
        using var summary = JsonDocument.Parse(stdout);
        double epoch = summary.RootElement.GetProperty("train_samples_per_second").GetDouble();
        return (epoch, SteadySamplesPerSecond(Path.Combine(directory, "out", "telemetry"), batch), null);
    }

    /// <summary>
    /// Samples/s over the job's steps after the first <see cref="WarmupSteps"/>, from the coordinator's train.step spans
    /// (one per step, every step of the job's one epoch a full batch): from the end of the last warm-up step to the end
    /// of the last step. (Ends, not starts: a step's span begins when its headers go out, which may be during the step
    /// before.)
    /// </summary>
    private static double SteadySamplesPerSecond(string telemetry, int batch)
    {
        var ends = TraceFiles.Find(telemetry).SelectMany(TraceFiles.Read)
            .Where(span => span.Name == TrainingSpans.Step)
            .Select(span => span.StartUnixNano + span.DurationNano)
            .Order()
            .ToList();
        if (ends.Count <= WarmupSteps)
        {
            throw new InvalidOperationException($"No {TrainingSpans.Step} spans after the first {WarmupSteps} in {telemetry}.");
        }
        long nanoseconds = ends[^1] - ends[WarmupSteps - 1];
        return (ends.Count - WarmupSteps) * (double)batch / (nanoseconds / 1e9);
    }

    /// <summary>
    /// Best global samples/s of DDP over <paramref name="steps"/> steps of <paramref name="batch"/> samples; with
    /// <paramref name="blasPool"/>, OpenBLAS keeps its own pool of threads in each rank; with <paramref name="pin"/>, each rank
    /// is confined to a CPU of its own.
    /// </summary>
    private static double RunDdp(string script, int workers, int batch, int steps, bool blasPool, bool pin)
    {
        var (exitCode, stdout, stderr) = Execute(Python, [script, "--ranks", Text(workers), "--batch", Text(batch), "--steps", Text(steps),
            "--warmup", Text(WarmupSteps), "--rounds", "1", .. blasPool ? ["--blas-pool"] : Array.Empty<string>(), .. pin ? ["--pin"] : Array.Empty<string>()]);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{Python} {script} exited with code {exitCode}: {stderr}");
        }
        using var result = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        return result.RootElement.GetProperty("samples_per_second").GetDouble();
    }

    private static (int ExitCode, string Stdout, string Stderr) Execute(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }

    /// <summary>trainctl.dll of the same configuration: Bench runs from Bench/bin/CONFIG/TFM/, trainctl from Client/bin/CONFIG/TFM/.</summary>
    internal static string LocateTrainctl()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string? root = here.Parent?.Parent?.Parent?.Parent?.FullName;
        string path = root is null ? "" : Path.Combine(root, "Client", "bin", here.Parent!.Name, here.Name, "trainctl.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"trainctl.dll not found at '{path}'; build it with `dotnet build Client -c {here.Parent?.Name}`.", path);
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
