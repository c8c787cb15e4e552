using System.Diagnostics;
using System.Globalization;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Data;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using DistributedTrainer.Worker;
using DistributedTrainer.Worker.Faults;
using static DistributedTrainer.Bench.BenchEnvironment;

namespace DistributedTrainer.Bench;

/// <summary>
/// What one slow worker costs: the reference job (or --spec) trains on W in-process workers over gRPC on loopback,
/// once with all at full speed and once with the last rank computing FACTOR times slower (<c>--fault slow=FACTOR</c>,
/// which waits out the extra time), and once more with the slow worker but an even split of the micro-shards
/// (<see cref="ClusterBackendOptions.BalanceByThroughput"/> false), side by side at each batch size. The micro-shards
/// follow each worker's measured throughput (<see cref="ShardBalancer"/>), so the slow worker should cost only its
/// share: with 2 workers and FACTOR 2 the job keeps (1 + 1/2) / 2 = 0.75 of its samples/s, where an even split holds
/// every step to the slow worker's pace. W defaults to 2, one single-threaded worker per core here, as if each had its machine: with
/// more workers than cores, the slow worker's idle wait would hand its core to the others. Steps are timed after a
/// warm-up long enough for the throughput averages to settle; the three runs alternate --rounds times and each figure is
/// the median of its rounds, since this machine is shared. Options: --workers W (default 2), --batches 128,512,
/// --steps N (timed, default 40), --warmup N (default 15), --rounds R (default 3), --slow FACTOR (default 2), --spec FILE.
/// </summary>
internal static class StragglerBenchmark
{
    private const string DefaultSpec = "examples/fashion-mnist-mlp.yaml";

    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        string specPath = Option(args, "--spec") ?? DefaultSpec;
        int[] batches = Ints(Option(args, "--batches") ?? "128,512");
        int steps = int.Parse(Option(args, "--steps") ?? "40", CultureInfo.InvariantCulture);
        int warmup = int.Parse(Option(args, "--warmup") ?? "15", CultureInfo.InvariantCulture);
        double slow = double.Parse(Option(args, "--slow") ?? "2", CultureInfo.InvariantCulture);
        int workers = int.Parse(Option(args, "--workers") ?? "2", CultureInfo.InvariantCulture);
        int rounds = int.Parse(Option(args, "--rounds") ?? "3", CultureInfo.InvariantCulture);
        var job = JobInput.Load(specPath);
        double share = (workers - 1 + 1 / slow) / workers;
        Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; spec {specPath}; {workers} in-process workers x 1 thread on {Environment.ProcessorCount} cores; " +
            $"rank {workers - 1} at 1/{slow.ToString(CultureInfo.InvariantCulture)} speed; median of {steps} steps after {warmup}, median of {rounds} alternating rounds; load average {LoadAverage()}");
        Console.WriteLine("Wall: samples/s of whole steps. Compute: the batch over the slowest worker's compute time in the step (the");
        Console.WriteLine("critical path the split decides, free of this machine's contention between workers and coordinator).");
        Console.WriteLine();
        Console.WriteLine("| batch | micro-shards | run | wall samples/s | ratio | compute samples/s | ratio |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|");
        foreach (int batch in batches)
        {
            var spec = job.Spec.Clone();
            spec.BatchSize = batch;
            var slowFault = WorkerFaults.None.With(FormattableString.Invariant($"slow={slow}"));
            (string Name, WorkerFaults Faults, bool Balance)[] runs =
                [("all at full speed", WorkerFaults.None, true), ("one slow, balanced", slowFault, true), ("one slow, even split", slowFault, false)];
            var measured = runs.Select(_ => new List<Throughput>()).ToArray();
            for (int round = 0; round < rounds; round++)
            {
                for (int run = 0; run < runs.Length; run++)
                {
                    measured[run].Add(await MeasureAsync(spec, job.Data, workers, runs[run].Faults, runs[run].Balance, warmup, steps));
                }
            }
            var medians = measured.Select(list => new Throughput(Median([.. list.Select(t => t.Wall)]), Median([.. list.Select(t => t.Compute)]))).ToArray();
            for (int run = 0; run < runs.Length; run++)
            {
                Console.WriteLine(FormattableString.Invariant(
                    $"| {batch} | {batch / MicroShards.SizeOf(spec)} | {runs[run].Name} | {medians[run].Wall:0} | {medians[run].Wall / medians[0].Wall:0.00} | {medians[run].Compute:0} | {medians[run].Compute / medians[0].Compute:0.00} |"));
            }
        }
        Console.WriteLine(FormattableString.Invariant($"Goal: one slow worker costs only its share, a ratio of {share:0.00}; an even split gives {1 / slow:0.00} of the compute rate."));
        return 0;
    }

    private readonly record struct Throughput(double Wall, double Compute);

    /// <summary>
    /// Median samples/s over <paramref name="steps"/> steps after <paramref name="warmup"/>, the last rank with
    /// <paramref name="lastFaults"/>, the micro-shards following throughput when <paramref name="balance"/>.
    /// </summary>
    private static async Task<Throughput> MeasureAsync(JobSpec spec, LoadedData data, int workers, WorkerFaults lastFaults, bool balance, int warmup, int steps)
    {
        var servers = new List<WorkerServer>();
        using var computeSpans = new ComputeSpans();
        try
        {
            for (int rank = 0; rank < workers; rank++)
            {
                servers.Add(await WorkerServer.StartAsync(new WorkerOptions(Coordinator: null, Threads: 1) { Faults = rank == workers - 1 ? lastFaults : WorkerFaults.None }));
            }
            var endpoints = servers.Select((server, rank) => new WorkerEndpoint($"w-{rank + 1}", server.Address, 1)).ToList();
            using var trainer = Trainer.Create(spec, data, model =>
                new ClusterGradientBackend("bench-straggler", spec, data, model, new FixedWorkerPool(endpoints), new ClusterBackendOptions { BalanceByThroughput = balance }, _ => { }));
            var clock = new StepClock();
            await trainer.RunAsync(clock, warmup + steps);
            var wall = clock.StepSeconds.Skip(warmup).ToArray();
            // One compute span per worker and step: no evaluation, so no parameter sync, happens within the run.
            var slowest = computeSpans.SlowestPerStep(workers).Skip(warmup).Take(steps).ToArray();
            return new Throughput(spec.BatchSize / Median(wall), spec.BatchSize / Median(slowest));
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>The in-process workers' <c>worker.compute</c> spans, in order by rank.</summary>
    private sealed class ComputeSpans : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly Dictionary<int, List<double>> _byRank = [];

        public ComputeSpans()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == TrainingDiagnostics.SourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
                ActivityStopped = activity =>
                {
                    if (activity.OperationName == TrainingSpans.WorkerCompute && activity.GetTagItem(TrainingAttributes.WorkerRank) is int rank)
                    {
                        lock (_byRank)
                        {
                            (_byRank.TryGetValue(rank, out var list) ? list : _byRank[rank] = []).Add(activity.Duration.TotalSeconds);
                        }
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        /// <summary>Step by step, the longest compute of the <paramref name="workers"/> ranks.</summary>
        public IEnumerable<double> SlowestPerStep(int workers)
        {
            lock (_byRank)
            {
                int steps = Enumerable.Range(0, workers).Min(rank => _byRank.TryGetValue(rank, out var list) ? list.Count : 0);
                return [.. Enumerable.Range(0, steps).Select(step => Enumerable.Range(0, workers).Max(rank => _byRank[rank][step]))];
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
