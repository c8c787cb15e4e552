using System.Diagnostics;
using System.Globalization;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Data;
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
        int[] batches = [.. (Option(args, "--batches") ?? "128,512").Split(',').Select(text => int.Parse(text, CultureInfo.InvariantCulture))];
        int steps = int.Parse(Option(args, "--steps") ?? "40", CultureInfo.InvariantCulture);
        int warmup = int.Parse(Option(args, "--warmup") ?? "15", CultureInfo.InvariantCulture);
        double slow = double.Parse(Option(args, "--slow") ?? "2", CultureInfo.InvariantCulture);
        int workers = int.Parse(Option(args, "--workers") ?? "2", CultureInfo.InvariantCulture);
        int rounds = int.Parse(Option(args, "--rounds") ?? "3", CultureInfo.InvariantCulture);
        var job = JobInput.Load(specPath);
        double share = (workers - 1 + 1 / slow) / workers;
        Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; spec {specPath}; {workers} in-process workers x 1 thread on {Environment.ProcessorCount} cores; " +
            $"rank {workers - 1} at 1/{slow.ToString(CultureInfo.InvariantCulture)} speed; median of {steps} steps after {warmup}, median of {rounds} alternating rounds; load average {LoadAverage()}");
        Console.WriteLine("| batch | micro-shards | all full speed, samples/s | one slow, balanced | ratio | one slow, even split | ratio | its share (goal) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (int batch in batches)
        {
            var spec = job.Spec.Clone();
            spec.BatchSize = batch;
            var slowFault = WorkerFaults.None.With(FormattableString.Invariant($"slow={slow}"));
            var fullRounds = new List<double>();
            var slowRounds = new List<double>();
            var evenRounds = new List<double>();
            for (int round = 0; round < rounds; round++)
            {
                fullRounds.Add(await SamplesPerSecondAsync(spec, job.Data, workers, WorkerFaults.None, balance: true, warmup, steps));
                slowRounds.Add(await SamplesPerSecondAsync(spec, job.Data, workers, slowFault, balance: true, warmup, steps));
                evenRounds.Add(await SamplesPerSecondAsync(spec, job.Data, workers, slowFault, balance: false, warmup, steps));
            }
            double full = Median(fullRounds);
            double straggling = Median(slowRounds);
            double even = Median(evenRounds);
            Console.WriteLine(FormattableString.Invariant(
                $"| {batch} | {batch / MicroShards.SizeOf(spec)} | {full:0} | {straggling:0} | {straggling / full:0.00} | {even:0} | {even / full:0.00} | {share:0.00} |"));
        }
        return 0;
    }

    /// <summary>
    /// Median samples/s over <paramref name="steps"/> steps after <paramref name="warmup"/>, the last rank with
    /// <paramref name="lastFaults"/>, the micro-shards following throughput when <paramref name="balance"/>.
    /// </summary>
    private static async Task<double> SamplesPerSecondAsync(JobSpec spec, LoadedData data, int workers, WorkerFaults lastFaults, bool balance, int warmup, int steps)
    {
        var servers = new List<WorkerServer>();
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
            var timed = clock.StepSeconds.Skip(warmup).ToArray();
            return spec.BatchSize / Median(timed);
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>The time between consecutive step reports: a whole step, the coordinator's update included.</summary>
    private sealed class StepClock : ITrainingObserver
    {
        private long _last = Stopwatch.GetTimestamp();

        public List<double> StepSeconds { get; } = [];

        public void OnStep(StepReport report)
        {
            long now = Stopwatch.GetTimestamp();
            StepSeconds.Add(Stopwatch.GetElapsedTime(_last, now).TotalSeconds);
            _last = now;
        }

        public void OnEpoch(EpochReport report)
        {
        }

        public void OnEvent(string message)
        {
        }
    }
}
