using System.Diagnostics;
using System.Globalization;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Data;
using DistributedTrainer.Training;
using DistributedTrainer.Worker;
using DistributedTrainer.Worker.Faults;
using static DistributedTrainer.Bench.BenchEnvironment;

namespace DistributedTrainer.Bench;

/// <summary>
/// Recovery time after losing one of three workers: the reference job (or --spec) trains on three in-process
/// workers over gRPC on loopback; while step --kill-at is in flight the worker of rank 2 is disposed (its server
/// stops, its connections close, as when the process dies). Prints the median step time before the loss, the step
/// deadline then in force (<see cref="StepDeadlines"/>), the time from the kill to the end of the re-run step, and
/// the steps after it on two workers. With --silent the worker of rank 2 is not killed but goes silent (it drops
/// every ring piece from step K on, <c>--fault drop-ring@K</c>), the case the step deadline exists for. Options:
/// --steps N (default 40), --kill-at K (default 20), --silent, --spec FILE.
/// </summary>
internal static class ElasticBenchmark
{
    private const string DefaultSpec = "examples/fashion-mnist-mlp.yaml";

    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        string specPath = Option(args, "--spec") ?? DefaultSpec;
        int steps = int.Parse(Option(args, "--steps") ?? "40", CultureInfo.InvariantCulture);
        int killAt = int.Parse(Option(args, "--kill-at") ?? "20", CultureInfo.InvariantCulture);
        bool silent = args.Contains("--silent");
        var job = JobInput.Load(specPath);
        var servers = new List<WorkerServer>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var faults = silent && i == 2 ? WorkerFaults.None.With(FormattableString.Invariant($"drop-ring@{killAt}")) : WorkerFaults.None;
                servers.Add(await WorkerServer.StartAsync(new WorkerOptions(Coordinator: null, Threads: 1) { Faults = faults }));
            }
            var workers = servers.Select((server, rank) => new WorkerEndpoint($"w-{rank + 1}", server.Address, 1)).ToList();
            var events = new List<string>();
            var timing = new TimedBackend(killAt, () => silent ? Task.CompletedTask : servers[2].DisposeAsync().AsTask());
            using var trainer = Trainer.Create(job.Spec, job.Data, model =>
            {
                timing.Inner = new ClusterGradientBackend("bench-elastic", job.Spec, job.Data, model, new FixedWorkerPool(workers),
                    new ClusterBackendOptions(), events.Add);
                return timing;
            });
            await trainer.RunAsync(new SilentObserver(), steps);

            var before = timing.StepSeconds.Take(killAt).Skip(3).ToArray();
            var deadlines = StepDeadlines.FromSpec(job.Spec.FaultTolerance);
            foreach (double seconds in timing.StepSeconds.Take(killAt))
            {
                deadlines.Record(TimeSpan.FromSeconds(seconds));
            }
            double median = Median(before);
            double recovery = timing.RecoverySeconds;
            var after = timing.StepSeconds.Skip(killAt + 1).ToArray();
            Console.WriteLine($"Spec {specPath}, batch {job.Spec.BatchSize}; 3 in-process workers (1 thread each) on {Environment.ProcessorCount} cores, load average {LoadAverage()}.");
            foreach (var message in events.Where(message => message.StartsWith("worker ", StringComparison.Ordinal)))
            {
                Console.WriteLine($"  event: {message}");
            }
            Console.WriteLine(FormattableString.Invariant($"| median step, 3 workers (steps 3..{killAt - 1}) | {median * 1e3:0} ms |"));
            Console.WriteLine(FormattableString.Invariant($"| step deadline at step {killAt} | {deadlines.Current.TotalSeconds:0.0} s |"));
            string loss = silent ? "silent from" : "kill ->";
            Console.WriteLine(FormattableString.Invariant($"| {loss} step {killAt} done on 2 workers | {recovery * 1e3:0} ms |"));
            Console.WriteLine(FormattableString.Invariant($"| median step after, 2 workers ({after.Length} steps) | {Median(after) * 1e3:0} ms |"));
            Console.WriteLine(FormattableString.Invariant(
                $"| goal: deadline + 2 median steps | {(deadlines.Current.TotalSeconds + 2 * median) * 1e3:0} ms |"));
            return 0;
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>Times every step; kills a worker while step <c>killAt</c> is in flight and times the recovery from then.</summary>
    private sealed class TimedBackend(long killAt, Func<Task> kill) : IGradientBackend
    {
        public ClusterGradientBackend? Inner { get; set; }

        public List<double> StepSeconds { get; } = [];

        public double RecoverySeconds { get; private set; }

        public async ValueTask<ShardResult> ComputeAsync(long step, ReadOnlyMemory<int> batch, StepGradient gradient,
            CancellationToken cancellationToken)
        {
            long started = Stopwatch.GetTimestamp();
            var compute = Inner!.ComputeAsync(step, batch, gradient, cancellationToken).AsTask();
            long killed = 0;
            if (step == killAt)
            {
                killed = Stopwatch.GetTimestamp();
                await kill();
            }
            var result = await compute;
            StepSeconds.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
            if (killed != 0)
            {
                RecoverySeconds = Stopwatch.GetElapsedTime(killed).TotalSeconds;
            }
            return result;
        }

        public ValueTask<ShardResult> EvaluateAsync(DataSplit split, CancellationToken cancellationToken) => Inner!.EvaluateAsync(split, cancellationToken);

        public void Dispose() => Inner?.Dispose();
    }

    private sealed class SilentObserver : ITrainingObserver
    {
        public void OnStep(StepReport report)
        {
        }

        public void OnEpoch(EpochReport report)
        {
        }

        public void OnEvent(string message)
        {
        }
    }
}
