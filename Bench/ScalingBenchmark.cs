using System.Diagnostics;
using System.Globalization;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Data;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using static DistributedTrainer.Bench.BenchEnvironment;

namespace DistributedTrainer.Bench;

/// <summary>
/// How the distributed step scales with workers when each has a machine of its own: W worker processes (1, 2, 4 and 8 by
/// default) whose computation is replaced by a fixed wait (<c>--fault compute=US</c>), so that eight fit on two cores
/// and what is measured is the step's communication and the coordinator's update, not the workers' contention for the
/// cores. The wait is measured first: the median time one single-threaded engine takes for a worker's share of the batch
/// (the spec's model, B samples). Weak scaling: each worker gets B samples per step, the global batch is W x B, and the
/// efficiency is the samples/s per worker against 1 worker's. The coordinator's side runs in this process (the job's
/// trainer over <see cref="ClusterGradientBackend"/>), as in the coordinator.
/// Networks (<c>--networks loopback,shaped</c>): the workers on 127.0.0.1, and each in its own network namespace
/// behind a bridge, its links shaped to <c>--rate</c> (default 10gbit) and <c>--delay-us</c> (default 50, where the kernel
/// has netem; the output says when it has not). Shaped needs root; without it the row says why.
/// Options: --workers 1,2,4,8 --per-worker 64,256 --steps N (timed, default 30) --warmup N (default 10) --spec FILE.
/// </summary>
internal static class ScalingBenchmark
{
    private const string DefaultSpec = "examples/fashion-mnist-mlp.yaml";

    public static int Run(string[] args)
    {
        if (args.Length == 3 && args[0] == "--worker-process")
        {
            return ScalingWorker.RunAsync(args[1], int.Parse(args[2], CultureInfo.InvariantCulture)).GetAwaiter().GetResult();
        }
        return RunAsync(args).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string[] args)
    {
        string specPath = Option(args, "--spec") ?? DefaultSpec;
        int[] workerCounts = Ints(Option(args, "--workers") ?? "1,2,4,8");
        int[] perWorker = Ints(Option(args, "--per-worker") ?? "64,256");
        int steps = int.Parse(Option(args, "--steps") ?? "30", CultureInfo.InvariantCulture);
        int warmup = int.Parse(Option(args, "--warmup") ?? "10", CultureInfo.InvariantCulture);
        string rate = Option(args, "--rate") ?? "10gbit";
        int delay = int.Parse(Option(args, "--delay-us") ?? "50", CultureInfo.InvariantCulture);
        string[] networks = (Option(args, "--networks") ?? "loopback,shaped").Split(',');
        if (workerCounts[0] != 1)
        {
            workerCounts = [1, .. workerCounts];
        }
        var job = JobInput.Load(specPath);
        var waits = perWorker.ToDictionary(b => b, b => MeasureCompute(job, b));
        Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; spec {specPath}; {Environment.ProcessorCount} cores; load average {LoadAverage()}");
        Console.WriteLine("Each worker: one process, one thread, its computation replaced by a wait of one engine's measured time for its");
        Console.WriteLine("B samples: " + string.Join(", ", waits.Select(w => FormattableString.Invariant($"B = {w.Key}: {w.Value.TotalMilliseconds:0.000} ms"))) +
            FormattableString.Invariant($". Median of {steps} steps after {warmup}; efficiency: samples/s per worker over 1 worker's."));
        Console.WriteLine();
        Console.WriteLine("| network | B per worker | workers | global batch | step ms | samples/s | per worker | efficiency | compute share | CPU ms per step |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (string network in networks)
        {
            if (network == "shaped" && !ShapedNetwork.IsAvailable(out string reason))
            {
                Console.WriteLine($"| shaped | | | | | skipped: {reason} | | | | |");
                continue;
            }
            string? shaping = null;
            var baseline = new Dictionary<int, double>();
            foreach (int workers in workerCounts)
            {
                using var shaped = network == "shaped" ? ShapedNetwork.Create(workers, rate, delay) : null;
                shaping ??= shaped?.Shaping;
                foreach (int b in perWorker)
                {
                    await using var fleet = await ScalingFleet.StartAsync(workers, waits[b], shaped is not null);
                    var (stepSeconds, cpuSeconds) = await MeasureStepAsync(job, fleet, b * workers, warmup, steps);
                    double samplesPerSecond = b * workers / stepSeconds;
                    baseline.TryAdd(b, samplesPerSecond);
                    Console.WriteLine(FormattableString.Invariant(
                        $"| {network} | {b} | {workers} | {b * workers} | {stepSeconds * 1e3:0.00} | {samplesPerSecond:0} | {samplesPerSecond / workers:0} | {samplesPerSecond / workers / baseline[b]:0.00} | {waits[b].TotalSeconds / stepSeconds:0.00} | {cpuSeconds * 1e3:0.0} |"));
                }
            }
            if (shaping is not null)
            {
                Console.WriteLine($"Shaped links: {shaping}; each worker in its own network namespace behind a bridge.");
            }
        }
        Console.WriteLine($"Load average after: {LoadAverage()}. Compute share: the wait over the step, the fraction of a step spent computing.");
        Console.WriteLine("CPU ms per step: user + system time of the workers and the coordinator's side together over the timed steps (the");
        Console.WriteLine("waits use none); above the step's wall time times the cores, the step is bound by this machine's cores, not the links.");
        return 0;
    }

    /// <summary>The median time one single-threaded engine takes for <paramref name="samples"/> samples of the job.</summary>
    private static TimeSpan MeasureCompute(JobInput job, int samples)
    {
        var spec = job.Spec;
        using var model = ModelFactory.Build(spec.Model, job.Data.FeatureCount, MicroShards.SizeOf(spec));
        model.Initialize(spec.Seed);
        using var backend = new LocalGradientBackend(spec, job.Data, model, shardEngines: 1);
        var gradient = new StepGradient(model.Store.Count, model.Store.BufferValues.Length);
        int[] batch = [.. Enumerable.Range(0, samples)];
        var times = new List<double>();
        for (int i = 0; i < 60; i++)
        {
            long start = Stopwatch.GetTimestamp();
            backend.ComputeAsync(i, batch, gradient, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            if (i >= 20)
            {
                times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        }
        return TimeSpan.FromSeconds(Median(times));
    }

    /// <summary>
    /// The median wall time of a step of the spec's job at <paramref name="batch"/> on the fleet, and the CPU seconds
    /// per step the workers and this process (the coordinator's side) used together over the timed steps.
    /// </summary>
    private static async Task<(double StepSeconds, double CpuSeconds)> MeasureStepAsync(JobInput job, ScalingFleet fleet, int batch, int warmup, int steps)
    {
        var spec = job.Spec.Clone();
        spec.BatchSize = batch;
        spec.MaxWorkers = fleet.Endpoints.Count;
        string jobId = FormattableString.Invariant($"bench-scaling-{fleet.Endpoints.Count}x{batch}");
        using var trainer = Trainer.Create(spec, job.Data, model =>
            new ClusterGradientBackend(jobId, spec, job.Data, model, new FixedWorkerPool(fleet.Endpoints), new ClusterBackendOptions(), _ => { }));
        using var self = Process.GetCurrentProcess();
        TimeSpan ProcessorTime()
        {
            self.Refresh();
            return fleet.ProcessorTime() + self.TotalProcessorTime;
        }
        var cpuAtWarmup = TimeSpan.Zero;
        var clock = new StepClock
        {
            AfterStep = count =>
            {
                if (count == warmup)
                {
                    cpuAtWarmup = ProcessorTime();
                }
            },
        };
        await trainer.RunAsync(clock, warmup + steps);
        var cpu = ProcessorTime() - cpuAtWarmup;
        return (Median([.. clock.StepSeconds.Skip(warmup)]), cpu.TotalSeconds / steps);
    }
}
