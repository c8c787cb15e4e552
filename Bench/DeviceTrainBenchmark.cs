using System.Globalization;
using DistributedTrainer.Devices;
using DistributedTrainer.Training;
using static DistributedTrainer.Bench.BenchEnvironment;

namespace DistributedTrainer.Bench;

/// <summary>
/// `Bench -- train --device D`: single-process training throughput of the spec (default the reference MLP) on the device
/// kernels, beside PyTorch on CUDA (for <c>cuda[:N]</c>) or on the CPU (for <c>cpu-accelerator</c>, which only shows that
/// the path works: it runs the GPU kernels on threads). Batches 128 and 512, one micro-shard per batch (a GPU is fed best
/// by the largest GEMMs) and shards of 128; best of a few rounds; prints a Markdown table.
/// </summary>
internal static class DeviceTrainBenchmark
{
    private const string DefaultSpec = "examples/fashion-mnist-mlp.yaml";

    public static int Run(string[] args, ComputeDevice device)
    {
        bool quick = args.Contains("--quick");
        string specPath = Option(args, "--spec") ?? DefaultSpec;
        int steps = int.Parse(Option(args, "--steps") ?? (quick ? "30" : "200"), CultureInfo.InvariantCulture);
        int rounds = quick ? 2 : 3;
        string script = Path.Combine(AppContext.BaseDirectory, "pytorch_mlp.py");
        bool torch = !args.Contains("--no-pytorch") && File.Exists("/usr/bin/python3");
        string torchDevice = device.Kind == ComputeDeviceKind.Cuda ? $"cuda:{device.Index}" : "cpu";
        string description;
        try
        {
            description = DeviceAccelerator.Probe(device);
        }
        catch (DeviceUnavailableException missing)
        {
            Console.Error.WriteLine($"Bench: {missing.Message}");
            return 2;
        }
        var job = JobInput.Load(specPath);
        Console.WriteLine($"Spec {specPath} on {description}; best of {rounds} rounds of {steps} steps after a warm-up; " +
            $"PyTorch on {torchDevice}; load average {LoadAverage()}.");
        Console.WriteLine();
        Console.WriteLine($"| Batch | Micro-shard | C# {device} samples/s | PyTorch {torchDevice} samples/s | C# / PyTorch |");
        Console.WriteLine("|---:|---:|---:|---:|---:|");
        foreach ((int batch, int shard) in new[] { (128, 128), (512, 512), (512, 128) })
        {
            double ours;
            try
            {
                ours = Measure(job, device, batch, shard, steps, rounds);
            }
            catch (UnsupportedOnDeviceException refused)
            {
                Console.WriteLine($"| {batch} | {shard} | refused: {refused.Message} | | |");
                return 1;
            }
            string theirs = "not run";
            string ratio = "";
            if (torch)
            {
                var result = TrainBenchmark.RunTorch(script, new TrainBenchmark.TorchSetting("default", 0, false), "--model",
                    TrainBenchmark.TorchModel(job.Spec), "--mode", "throughput", "--batch", Text(batch), "--steps",
                    Text(Math.Max(20, steps * 128 / batch)), "--rounds", Text(rounds), "--device", torchDevice);
                double samples = result.GetProperty("samples_per_second").GetDouble();
                theirs = samples.ToString("0", CultureInfo.InvariantCulture);
                ratio = (ours / samples).ToString("0.00", CultureInfo.InvariantCulture);
            }
            Console.WriteLine($"| {batch} | {shard} | {ours:0} | {theirs} | {ratio} |");
        }
        Console.WriteLine();
        return 0;
    }

    private static double Measure(JobInput job, ComputeDevice device, int batch, int shard, int steps, int rounds)
    {
        var spec = job.Spec.Clone();
        spec.BatchSize = batch;
        spec.MicroShardSize = shard;
        spec.Epochs = 1;
        steps = Math.Min(steps * 128 / batch, Trainer.StepsPerEpoch(job.Data.Train.Count, batch) - 1);
        int warmup = Math.Max(3, steps / 10);
        double best = 0;
        for (int round = 0; round < rounds; round++)
        {
            using var trainer = Trainer.Create(spec, job.Data,
                model => new LocalGradientBackend(spec, job.Data, model, runners: DeviceShardRunners.For(device)));
            var observer = new TrainBenchmark.TimingObserver(warmup);
            trainer.Run(observer, stopAfterSteps: warmup + steps);
            best = Math.Max(best, (double)steps * batch / observer.Seconds);
        }
        return best;
    }

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);
}
