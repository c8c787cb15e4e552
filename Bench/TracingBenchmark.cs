using System.Diagnostics;
using System.Globalization;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Rpc;
using DistributedTrainer.Telemetry;
using DistributedTrainer.Training;
using Grpc.Health.V1;

namespace DistributedTrainer.Bench;

/// <summary>
/// What telemetry costs: single-process training samples/s of the reference MLP with nothing listening and
/// with <see cref="TelemetrySetup"/> writing JSON-lines files, and loopback gRPC unary calls per second with
/// and without the Rpc spans recorded. The trainer emits no spans of its own yet, so after every step the
/// benchmark's observer emits what a step of a traced process will: a step span with eight child spans (the
/// phases of issue 6), the step's metrics (<see cref="MetricsRecorder"/>) and three phase times. Variants
/// alternate round by round and each figure is the best round, since the machine is shared.
/// </summary>
internal static class TracingBenchmark
{
    private const string DefaultSpec = "examples/fashion-mnist-mlp.yaml";

    private static readonly string[] Phases =
    [
        TrainingSpans.DataRead, TrainingSpans.Forward, TrainingSpans.Backward, TrainingSpans.RingSend, TrainingSpans.RingReceive,
        TrainingSpans.Clip, TrainingSpans.Optimizer, TrainingSpans.Scatter,
    ];

    private static readonly Method<HealthCheckRequest, HealthCheckResponse> Check =
        new(HealthReflection.Descriptor.Services[0].FindMethodByName("Check"));

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
            double off = 0, on = 0;
            for (int round = 0; round < rounds; round++)
            {
                off = Math.Max(off, MeasureTraining(spec, job, steps, null));
                on = Math.Max(on, MeasureTraining(spec, job, steps, directory));
            }

            (double callsOff, double callsRecorded, double callsOn) = MeasureCallsAsync(calls, rounds, directory).GetAwaiter().GetResult();
            Console.WriteLine("| Measure | Nothing listening | Spans recorded, not exported | TelemetrySetup, JSON-lines files | Cost of the files |");
            Console.WriteLine("|---|---:|---:|---:|---:|");
            Console.WriteLine($"| Training samples/s (9 spans + metrics per step) | {off:0} | | {on:0} | {Cost(off, on)} |");
            Console.WriteLine($"| Loopback unary calls/s (client + server span) | {callsOff:0} | {callsRecorded:0} | {callsOn:0} | {Cost(callsOff, callsOn)} |");
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Cost(double off, double on) => ((off - on) / off).ToString("P1", CultureInfo.InvariantCulture);

    private static double MeasureTraining(JobSpec spec, JobInput job, int steps, string? directory)
    {
        using TelemetrySession? session = directory is null ? null : TelemetrySetup.Start(new TelemetryOptions
        {
            ServiceName = "bench",
            FileDirectory = directory,
            MetricExportInterval = TimeSpan.FromSeconds(1),
            GetEnvironmentVariable = _ => null,
        });
        using var trainer = SingleProcessTrainer.Create(spec, job.Data);
        const int Warmup = 10;
        var observer = new StepObserver(Warmup);
        trainer.Run(observer, stopAfterSteps: Warmup + steps);
        return (double)steps * spec.BatchSize / observer.Seconds;
    }

    /// <summary>Calls/s with nothing listening, with a listener that records the spans and drops them, and with files.</summary>
    private static async Task<(double Off, double Recorded, double On)> MeasureCallsAsync(int calls, int rounds, string directory)
    {
        var router = new GrpcRouter().AddService(new HealthService().Definition);
        await using GrpcHost host = await GrpcHost.StartAsync(router);
        using var channel = new RpcChannel(host.Address);
        var request = new HealthCheckRequest();
        await CallsPerSecondAsync(channel, request, calls / 10);
        double off = 0, recorded = 0, on = 0;
        for (int round = 0; round < rounds; round++)
        {
            off = Math.Max(off, await CallsPerSecondAsync(channel, request, calls));
            using (var listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == RpcDiagnostics.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            })
            {
                ActivitySource.AddActivityListener(listener);
                recorded = Math.Max(recorded, await CallsPerSecondAsync(channel, request, calls));
            }

            using (TelemetrySetup.Start(new TelemetryOptions { ServiceName = "bench-rpc", FileDirectory = directory, GetEnvironmentVariable = _ => null }))
            {
                on = Math.Max(on, await CallsPerSecondAsync(channel, request, calls));
            }
        }

        return (off, recorded, on);
    }

    private static async Task<double> CallsPerSecondAsync(RpcChannel channel, HealthCheckRequest request, int calls)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++)
        {
            await channel.UnaryAsync(Check, request);
        }

        return calls / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>Times the steps after the warm-up, and emits one traced step's spans and metrics after each step.</summary>
    private sealed class StepObserver(int warmup) : ITrainingObserver
    {
        private long _start;
        private long _last;

        public double Seconds => (double)(_last - _start) / Stopwatch.Frequency;

        public void OnStep(StepReport report)
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
            if (report.Step == warmup)
            {
                _start = Stopwatch.GetTimestamp();
            }
            else if (report.Step > warmup)
            {
                _last = Stopwatch.GetTimestamp();
            }
        }

        public void OnEpoch(EpochReport report)
        {
        }

        public void OnEvent(string message)
        {
        }
    }
}
