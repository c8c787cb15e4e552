using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DistributedTrainer.Numerics;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using static DistributedTrainer.Bench.BenchEnvironment;

namespace DistributedTrainer.Bench;

/// <summary>
/// Single-process training throughput of the reference job (examples/fashion-mnist-mlp.yaml) in samples per
/// second, beside PyTorch (Bench/pytorch_mlp.py run by /usr/bin/python3) on the same model, data, batch and
/// cores in the same run, for each of PyTorch's thread settings; optionally the phase profile of one step and
/// the training time each takes to reach 88 % test accuracy. Each figure is the best of a few rounds, since
/// the machine is shared; prints Markdown tables.
/// </summary>
internal static class TrainBenchmark
{
    private const string DefaultSpec = "examples/fashion-mnist-mlp.yaml";
    private const string Python = "/usr/bin/python3";
    private const double TargetAccuracy = 0.88;

    internal sealed record TorchSetting(string Name, int Threads, bool Passive);

    private static readonly TorchSetting[] s_torchSettings =
    [
        new("default", 0, false),
        new("2 threads", 2, false),
        new("2 threads, OMP_WAIT_POLICY=PASSIVE", 2, true),
        new("1 thread", 1, false),
    ];

    public static int Run(string[] args)
    {
        if (Option(args, "--device") is { } device && device != "cpu")
        {
            return DeviceTrainBenchmark.Run(args, ComputeDevice.Parse(device));
        }
        bool quick = args.Contains("--quick");
        string specPath = Option(args, "--spec") ?? DefaultSpec;
        int steps = int.Parse(Option(args, "--steps") ?? (quick ? "60" : "200"), CultureInfo.InvariantCulture);
        int rounds = quick ? 2 : 3;
        bool torch = !args.Contains("--no-pytorch") && File.Exists(Python);
        string script = Path.Combine(AppContext.BaseDirectory, "pytorch_mlp.py");
        var job = JobInput.Load(specPath);
        Console.WriteLine($"Spec {specPath}; {Environment.ProcessorCount} cores; kernels use {ComputeThreads.Count} threads; " +
            $"best of {rounds} rounds of {steps} steps after a warm-up; load average {LoadAverage()}.");
        Console.WriteLine();

        if (args.Contains("--profile"))
        {
            // One kernel thread: the work of one engine, without the noise of a second core that others share.
            int threads = ComputeThreads.Count;
            ComputeThreads.Count = 1;
            foreach (int shard in new[] { 32, 128 })
            {
                using var profile = new StepProfile(job.Spec, job.Data, shard);
                profile.Run(128, steps, Console.Out);
                Console.WriteLine();
            }
            ComputeThreads.Count = threads;
        }

        // Variants, measured round by round in turn: (label, kernel threads, engines side by side).
        (string Label, int Threads, int Engines)[] variants =
        [
            ("1 thread", 1, 1),
            ("2 threads in each GEMM", 2, 1),
            ("2 threads over micro-shards", 2, 2),
        ];
        Console.WriteLine("| Batch | Micro-shard | " + string.Join(" | ", variants.Select(v => v.Label + " samples/s")) +
            " | Allocated bytes per step | Gen-0 GCs per 1000 steps |");
        Console.WriteLine("|---:|---:|" + string.Concat(variants.Select(_ => "---:|")) + "---:|---:|");
        foreach ((int batch, int shard) in new[] { (128, 32), (128, 64), (128, 128), (512, 32), (512, 128), (512, 512) })
        {
            var results = MeasureTrainer(job, batch, shard, steps, rounds, variants);
            Console.WriteLine($"| {batch} | {shard} | " + string.Join(" | ", results.Select(r => $"{r.SamplesPerSecond:0}")) +
                $" | {results[^1].BytesPerStep:0} | {results[^1].CollectionsPer1000:0.0} |");
        }
        Console.WriteLine();

        if (torch)
        {
            // Each PyTorch figure is taken right after the C# figures of its row, so both see about the same load.
            Console.WriteLine($"Against PyTorch, micro-shards of the default size {MicroShards.DefaultSize}; each row measured C# first, then PyTorch:");
            Console.WriteLine();
            Console.WriteLine("| Batch | PyTorch setting | PyTorch threads, OpenBLAS threads | PyTorch samples/s | C# 1 thread samples/s | C# 2 threads samples/s | " +
                "C# 1 thread / PyTorch | C# 2 threads / PyTorch |");
            Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|");
            foreach (int batch in new[] { 128, 512 })
            {
                foreach (var setting in s_torchSettings)
                {
                    var ours = MeasureTrainer(job, batch, MicroShards.DefaultSize, steps, rounds, [variants[0], variants[2]]);
                    var result = RunTorch(script, setting, "--model", TorchModel(job.Spec), "--mode", "throughput", "--batch", Text(batch), "--steps",
                        Text(Math.Max(20, steps * 128 / batch)), "--rounds", Text(rounds));
                    double theirs = result.GetProperty("samples_per_second").GetDouble();
                    Console.WriteLine($"| {batch} | {setting.Name} | {result.GetProperty("threads").GetInt32()}, {BlasThreads(result)} | {theirs:0} | " +
                        $"{ours[0].SamplesPerSecond:0} | {ours[1].SamplesPerSecond:0} | {ours[0].SamplesPerSecond / theirs:0.00} | " +
                        $"{ours[1].SamplesPerSecond / theirs:0.00} |");
                }
            }
            Console.WriteLine();
        }

        if (args.Contains("--accuracy"))
        {
            ReportTimeToAccuracy(job, torch ? script : null);
        }
        return 0;
    }

    private static (double SamplesPerSecond, double BytesPerStep, double CollectionsPer1000)[] MeasureTrainer(
        JobInput job, int batch, int shard, int steps, int rounds, (string Label, int Threads, int Engines)[] variants)
    {
        var spec = job.Spec.Clone();
        spec.BatchSize = batch;
        spec.MicroShardSize = shard;
        spec.Epochs = 1;
        steps = Math.Min(steps * 128 / batch, Trainer.StepsPerEpoch(job.Data.Train.Count, batch) - 1);
        int warmup = Math.Max(5, steps / 10);
        var best = new double[variants.Length];
        var bytes = new long[variants.Length];
        var collections = new long[variants.Length];
        int savedThreads = ComputeThreads.Count;
        for (int round = 0; round < rounds; round++)
        {
            for (int v = 0; v < variants.Length; v++)
            {
                ComputeThreads.Count = variants[v].Threads;
                using var trainer = Trainer.Create(spec, job.Data, null, null, variants[v].Engines);
                var observer = new TimingObserver(warmup);
                trainer.Run(observer, stopAfterSteps: warmup + steps);
                best[v] = Math.Max(best[v], (double)steps * batch / observer.Seconds);
                bytes[v] += observer.AllocatedBytes;
                collections[v] += observer.Collections;
            }
        }
        ComputeThreads.Count = savedThreads;
        return [.. Enumerable.Range(0, variants.Length).Select(v =>
            (best[v], (double)bytes[v] / (steps * rounds), 1000.0 * collections[v] / (steps * rounds)))];
    }

    private static void ReportTimeToAccuracy(JobInput job, string? script)
    {
        var spec = job.Spec.Clone();
        spec.Epochs = 20;
        using var cancel = new CancellationTokenSource();
        var observer = new AccuracyObserver(TargetAccuracy, job.Data.Train.Count, cancel);
        using (var trainer = Trainer.Create(spec, job.Data))
        {
            try
            {
                trainer.Run(observer, cancellation: cancel.Token);
            }
            catch (OperationCanceledException)
            {
                // The observer cancels once the target is reached; the run stops at the next step boundary.
            }
        }
        Console.WriteLine($"Time to {TargetAccuracy:P0} test accuracy (batch {spec.BatchSize}, Adam 1e-3, seed {spec.Seed}; " +
            "training seconds, test evaluation excluded):");
        Console.WriteLine();
        Console.WriteLine("| Trainer | Epochs | Training seconds | Test accuracy per epoch |");
        Console.WriteLine("|---|---:|---:|---|");
        Console.WriteLine($"| C# (micro-shard {MicroShards.SizeOf(spec)}) | {observer.ReachedAt?.ToString(CultureInfo.InvariantCulture) ?? "not reached"} | " +
            $"{observer.Seconds:0.0} | {string.Join(", ", observer.Accuracies.Select(a => a.ToString("P1", CultureInfo.InvariantCulture)))} |");
        if (script is not null)
        {
            var result = RunTorch(script, s_torchSettings[0], "--model", TorchModel(job.Spec), "--mode", "accuracy", "--batch", Text(spec.BatchSize),
                "--target", Text(TargetAccuracy));
            var epochs = result.GetProperty("epochs");
            var accuracies = result.GetProperty("test_accuracy").EnumerateArray().Select(a => a.GetDouble().ToString("P1", CultureInfo.InvariantCulture));
            Console.WriteLine($"| PyTorch (default threads) | {(epochs.ValueKind == JsonValueKind.Null ? "not reached" : epochs.GetInt32())} | " +
                $"{result.GetProperty("train_seconds").GetDouble():0.0} | {string.Join(", ", accuracies)} |");
        }
        Console.WriteLine();
    }

    // The PyTorch twin of the spec's model: LeNet-5 for a convolutional spec (examples/fashion-mnist-lenet5.yaml),
    // else the reference MLP.
    internal static string TorchModel(JobSpec spec) =>
        spec.Model.Layers.Any(layer => layer.KindCase == LayerSpec.KindOneofCase.Conv2D) ? "lenet" : "mlp";

    internal static JsonElement RunTorch(string script, TorchSetting setting, params string[] arguments)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.ArgumentList.Add("--threads");
        start.ArgumentList.Add(Text(setting.Threads));
        if (setting.Passive)
        {
            start.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Python}.");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Python} {script} exited with code {process.ExitCode}.");
        }
        string last = output.TrimEnd().Split('\n')[^1];
        return JsonDocument.Parse(last).RootElement.Clone();
    }

    // "n/a" where torch does not use OpenBLAS (pytorch_mlp.py reports null then).
    private static string BlasThreads(JsonElement result) =>
        result.TryGetProperty("blas_threads", out var threads) && threads.ValueKind == JsonValueKind.Number ? Text(threads.GetInt32()) : "n/a";

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Times the steps after the first <c>warmup</c>, and counts what they allocate and collect.</summary>
    internal sealed class TimingObserver(int warmup) : ITrainingObserver
    {
        private long _start;
        private long _startBytes;
        private int _startCollections;
        private long _last;

        public double Seconds => (double)(_last - _start) / Stopwatch.Frequency;

        public long AllocatedBytes { get; private set; }

        public int Collections { get; private set; }

        public void OnStep(StepReport report)
        {
            if (report.Step == warmup)
            {
                _startBytes = GC.GetTotalAllocatedBytes(precise: true);
                _startCollections = GC.CollectionCount(0);
                _start = Stopwatch.GetTimestamp();
            }
            else if (report.Step > warmup)
            {
                _last = Stopwatch.GetTimestamp();
                AllocatedBytes = GC.GetTotalAllocatedBytes(precise: true) - _startBytes;
                Collections = GC.CollectionCount(0) - _startCollections;
            }
        }

        public void OnEpoch(EpochReport report)
        {
        }

        public void OnEvent(string message)
        {
        }
    }

    /// <summary>Records test accuracy per epoch and cancels the run once it reaches the target.</summary>
    /// <param name="trainCount">Training samples per epoch, to turn each epoch's samples/s back into seconds.</param>
    private sealed class AccuracyObserver(double target, int trainCount, CancellationTokenSource cancel) : ITrainingObserver
    {
        public List<double> Accuracies { get; } = [];

        public double Seconds { get; private set; }

        public int? ReachedAt { get; private set; }

        public void OnStep(StepReport report)
        {
        }

        public void OnEpoch(EpochReport report)
        {
            Accuracies.Add(report.TestAccuracy);
            Seconds += report.SamplesPerSecond > 0 ? trainCount / report.SamplesPerSecond : 0;
            if (report.TestAccuracy >= target && ReachedAt is null)
            {
                ReachedAt = report.Epoch;
                cancel.Cancel();
            }
        }

        public void OnEvent(string message)
        {
        }
    }
}
