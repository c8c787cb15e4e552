using System.Diagnostics;
using System.Globalization;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Numerics;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Telemetry;
using DistributedTrainer.Training;
using DistributedTrainer.Transport;
using Grpc.Health.V1;
using Microsoft.AspNetCore.Builder;

namespace DistributedTrainer.Bench;

/// <summary>
/// What telemetry costs: single-process training samples/s of the reference MLP with nothing listening and
/// with <see cref="TelemetrySetup"/> writing JSON-lines files, and loopback gRPC unary calls per second with
/// and without the call's spans recorded (Grpc.Net.Client, SocketsHttpHandler and ASP.NET Core emit them). The trainer emits its own spans (the step, clipping, the optimizer) and
/// metrics; separately, the cost of what a worker-side step adds (a step span with eight child spans, the step's
/// metrics and three phase times) is timed alone. Variants alternate round by round and each figure is the best
/// round, since the machine is shared.
/// </summary>
internal static class TracingBenchmark
{
    private const string DefaultSpec = "examples/fashion-mnist-mlp.yaml";

    private static readonly string[] Phases =
    [
        TrainingSpans.DataRead, TrainingSpans.Forward, TrainingSpans.Backward, TrainingSpans.RingSend, TrainingSpans.RingReceive,
        TrainingSpans.Clip, TrainingSpans.Optimizer, TrainingSpans.Scatter,
    ];

    // The sources of a gRPC call's spans on the grpc-dotnet stack: the client call, its HTTP request, the server's request.
    private static readonly string[] CallSources = ["Grpc.Net.Client", "System.Net.Http", "Microsoft.AspNetCore"];

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        int steps = quick ? 60 : 200;
        int rounds = quick ? 3 : 5;
        int calls = quick ? 2000 : 10000;
        var job = JobInput.Load(DefaultSpec);
        var spec = job.Spec.Clone();
        spec.BatchSize = 128;
        spec.Epochs = 1;
        string directory = Directory.CreateTempSubdirectory("dt-tracing-bench-").FullName;
        try
        {
            Console.WriteLine($"Spec {DefaultSpec}, batch {spec.BatchSize}; {Environment.ProcessorCount} cores; best of {rounds} rounds of {steps} steps " +
                $"after 10 warm-up steps, variants alternating; {calls} loopback unary calls per round.");
            Console.WriteLine();
            // One kernel thread: the process's CPU time is then the step's work, not two threads' spinning.
            int threads = ComputeThreads.Count;
            ComputeThreads.Count = 1;
            Figure off = Figure.None, on = Figure.None;
            for (int round = 0; round < rounds; round++)
            {
                // Which variant goes first alternates too: the second trainer of a round may find a fuller heap.
                bool offFirst = round % 2 == 0;
                Figure first = MeasureTraining(spec, job, steps, offFirst ? null : directory);
                Figure second = MeasureTraining(spec, job, steps, offFirst ? directory : null);
                off = off.Best(offFirst ? first : second);
                on = on.Best(offFirst ? second : first);
            }

            ComputeThreads.Count = threads;
            Figure aloneOff = Figure.None, aloneOn = Figure.None;
            for (int round = 0; round < rounds; round++)
            {
                aloneOff = aloneOff.Best(MeasureStepTelemetry(steps * 50, null));
                aloneOn = aloneOn.Best(MeasureStepTelemetry(steps * 50, directory));
            }

            (Figure callsOff, Figure callsRecorded, Figure callsOn) = MeasureCallsAsync(calls, rounds, directory).GetAwaiter().GetResult();
            Console.WriteLine("Rates are wall-clock (best round); CPU is the process's CPU time (user + system, all threads, the exporter's " +
                "included) per step or call (least round): on a shared machine the CPU figure is the steadier measure of the cost.");
            Console.WriteLine();
            Console.WriteLine("| Measure | Nothing listening | Spans recorded, not exported | TelemetrySetup, JSON-lines files | Cost of the files |");
            Console.WriteLine("|---|---:|---:|---:|---:|");
            Console.WriteLine($"| Training, 1 kernel thread: samples/s | {off.Rate:0} | | {on.Rate:0} | {Cost(on.Rate, off.Rate)} |");
            Console.WriteLine($"| Training, 1 kernel thread: CPU µs per step (the trainer's spans + metrics) | {off.CpuMicroseconds:0} | | {on.CpuMicroseconds:0} | {Cost(off.CpuMicroseconds, on.CpuMicroseconds)} |");
            Console.WriteLine($"| A step's 9 spans + metrics alone: CPU µs | {aloneOff.CpuMicroseconds:0.0} | | {aloneOn.CpuMicroseconds:0.0} | " +
                $"{aloneOn.CpuMicroseconds - aloneOff.CpuMicroseconds:0.0} µs |");
            Console.WriteLine($"| Loopback unary calls/s | {callsOff.Rate:0} | {callsRecorded.Rate:0} | {callsOn.Rate:0} | {Cost(callsOn.Rate, callsOff.Rate)} |");
            Console.WriteLine($"| Loopback unary call: CPU µs (client + server span) | {callsOff.CpuMicroseconds:0.0} | {callsRecorded.CpuMicroseconds:0.0} | " +
                $"{callsOn.CpuMicroseconds:0.0} | {Cost(callsOff.CpuMicroseconds, callsOn.CpuMicroseconds)} |");
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The extra the telemetry costs, relative to <paramref name="baseline"/> (time per step: more is worse).</summary>
    private static string Cost(double baseline, double traced) => ((traced - baseline) / baseline).ToString("P1", CultureInfo.InvariantCulture);

    private static Figure MeasureTraining(JobSpec spec, JobInput job, int steps, string? directory)
    {
        using TelemetrySession? session = directory is null ? null : TelemetrySetup.Start(new TelemetryOptions
        {
            ServiceName = "bench",
            FileDirectory = directory,
            MetricExportInterval = TimeSpan.FromSeconds(1),
            GetEnvironmentVariable = _ => null,
        });
        using var trainer = Trainer.Create(spec, job.Data);
        const int Warmup = 10;
        var observer = new StepObserver(Warmup);
        trainer.Run(observer, stopAfterSteps: Warmup + steps);
        Console.WriteLine($"  {(directory is null ? "off" : "on ")}: {steps * spec.BatchSize / observer.Seconds:0} samples/s, " +
            $"{observer.AllocatedBytes / steps:0} bytes allocated and {1000.0 * observer.Collections / steps:0.0} gen-0 GCs per 1000 steps");
        return new Figure(steps * spec.BatchSize / observer.Seconds, observer.CpuSeconds * 1e6 / steps);
    }

    /// <summary>The telemetry of <paramref name="steps"/> steps without the training: what it costs per step, exporter included.</summary>
    private static Figure MeasureStepTelemetry(int steps, string? directory)
    {
        using TelemetrySession? session = directory is null ? null : TelemetrySetup.Start(new TelemetryOptions
        {
            ServiceName = "bench-spans",
            FileDirectory = directory,
            MetricExportInterval = TimeSpan.FromSeconds(1),
            GetEnvironmentVariable = _ => null,
        });
        var observer = new StepObserver(0);
        var update = new UpdateResult(true, 0.001f, 1.5, 1f, 0, -1);
        TimeSpan cpu = CpuTime();
        long start = Stopwatch.GetTimestamp();
        for (int step = 1; step <= steps; step++)
        {
            observer.Emit(new StepReport(1, step, step * 128, 60000, 0.5, update));

            // Faster than any training, the loop would overflow the exporter's queue (2048 spans), which drops
            // spans instead of writing them: flushing every 100 steps keeps the export work in the figure.
            if (step % 100 == 0)
            {
                session?.ForceFlush();
            }
        }

        session?.ForceFlush();
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return new Figure(steps / seconds, (CpuTime() - cpu).TotalMicroseconds / steps);
    }

    /// <summary>Calls/s with nothing listening, with a listener that records the spans and drops them, and with files.</summary>
    private static async Task<(Figure Off, Figure Recorded, Figure On)> MeasureCallsAsync(int calls, int rounds, string directory)
    {
        await using WebApplication app = GrpcServerHosting.CreateBuilder(new GrpcEndpointOptions()).Build();
        app.MapGrpcInfrastructure();
        await app.StartAsync();
        using var channel = GrpcChannels.Create(app.BoundAddress());
        var health = new Health.HealthClient(channel);
        var request = new HealthCheckRequest();
        await CallsPerSecondAsync(health, request, calls / 10);
        Figure off = Figure.None, recorded = Figure.None, on = Figure.None;
        for (int round = 0; round < rounds; round++)
        {
            off = off.Best(await CallsPerSecondAsync(health, request, calls));
            using (var listener = new ActivityListener
            {
                ShouldListenTo = source => CallSources.Contains(source.Name),
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            })
            {
                ActivitySource.AddActivityListener(listener);
                recorded = recorded.Best(await CallsPerSecondAsync(health, request, calls));
            }

            using (TelemetrySetup.Start(new TelemetryOptions { ServiceName = "bench-rpc", FileDirectory = directory, GetEnvironmentVariable = _ => null }))
            {
                on = on.Best(await CallsPerSecondAsync(health, request, calls));
            }
        }

        await app.StopAsync();
        return (off, recorded, on);
    }

    private static async Task<Figure> CallsPerSecondAsync(Health.HealthClient health, HealthCheckRequest request, int calls)
    {
        TimeSpan cpu = CpuTime();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++)
        {
            await health.CheckAsync(request);
        }

        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return new Figure(calls / seconds, (CpuTime() - cpu).TotalMicroseconds / calls);
    }

    private static TimeSpan CpuTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    /// <summary>A rate (per second of wall time) and the CPU time per unit of work, in microseconds.</summary>
    private readonly record struct Figure(double Rate, double CpuMicroseconds)
    {
        public static Figure None => new(0, double.PositiveInfinity);

        /// <summary>The best of two rounds: the higher rate and, separately, the lower CPU time.</summary>
        public Figure Best(Figure other) => new(Math.Max(Rate, other.Rate), Math.Min(CpuMicroseconds, other.CpuMicroseconds));
    }

    /// <summary>Times the steps after the warm-up; <see cref="Emit"/> is what a traced worker step adds, timed alone.</summary>
    private sealed class StepObserver(int warmup) : ITrainingObserver
    {
        private long _start;
        private long _last;
        private TimeSpan _startCpu;
        private TimeSpan _lastCpu;
        private long _startBytes;
        private long _lastBytes;
        private int _startCollections;
        private int _lastCollections;

        public double Seconds => (double)(_last - _start) / Stopwatch.Frequency;

        public double CpuSeconds => (_lastCpu - _startCpu).TotalSeconds;

        public long AllocatedBytes => _lastBytes - _startBytes;

        public int Collections => _lastCollections - _startCollections;

        public void OnStep(StepReport report)
        {
            if (report.Step == warmup)
            {
                _start = Stopwatch.GetTimestamp();
                _startCpu = CpuTime();
                _startBytes = GC.GetTotalAllocatedBytes();
                _startCollections = GC.CollectionCount(0);
            }
            else if (report.Step > warmup)
            {
                _last = Stopwatch.GetTimestamp();
                _lastCpu = CpuTime();
                _lastBytes = GC.GetTotalAllocatedBytes();
                _lastCollections = GC.CollectionCount(0);
            }
        }

        /// <summary>What a traced process emits for one step.</summary>
        public void Emit(StepReport report)
        {
            using (Activity? step = TrainingDiagnostics.StartStep("bench", report.Step, report.Epoch))
            {
                foreach (string phase in Phases)
                {
                    using Activity? span = TrainingDiagnostics.Source.StartActivity(phase);
                    span?.SetTag(TrainingAttributes.WorkerRank, 0);
                }
            }

            MetricsRecorder.OnStep("bench", report);
            TrainingMetrics.RecordPhase("bench", TrainingSpans.Forward, TimeSpan.FromMilliseconds(1));
            TrainingMetrics.RecordPhase("bench", TrainingSpans.Backward, TimeSpan.FromMilliseconds(2));
            TrainingMetrics.RecordPhase("bench", TrainingSpans.Optimizer, TimeSpan.FromMilliseconds(0.5));
        }

        public void OnEpoch(EpochReport report)
        {
        }

        public void OnEvent(string message)
        {
        }
    }
}
