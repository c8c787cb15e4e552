using System.CommandLine;
using DistributedTrainer.Reports;
using DistributedTrainer.Client.Output;
using DistributedTrainer.Data;
using DistributedTrainer.Devices;
using DistributedTrainer.Jobs;
using DistributedTrainer.Numerics;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Reports.TensorBoard;
using DistributedTrainer.Training;
using DistributedTrainer.Training.Adversarial;
using System.Globalization;

namespace DistributedTrainer.Client.Commands;

/// <summary>`trainctl train SPEC`: trains a job in this process.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var spec = new Argument<FileInfo>("SPEC") { Description = "Job spec file (YAML or JSON, the proto3 JSON mapping of trainer.v1.JobSpec)." };
        var epochs = new Option<int?>("--epochs") { Description = "Override the spec's number of epochs." };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Output directory for checkpoints, metrics.csv, curves.svg and tensorboard/ (default: out/<spec name>)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON summary object on stdout; progress goes to stderr." };
        var threads = new Option<int?>("--threads") { Description = "Kernel threads (default: all cores)." };
        var resume = new Option<DirectoryInfo?>("--resume") { Description = "Continue from this checkpoint directory." };
        var device = new Option<string?>("--device")
        {
            Description = "What computes the gradients: cpu (SIMD kernels, the default), cuda or cuda:N (an NVIDIA GPU), " +
                "cpu-accelerator (the GPU kernels on ILGPU's CPU accelerator, for tests).",
        };
        var command = new Command("train", "Train a job in this process.") { spec, epochs, output, json, threads, resume, device };
        command.SetAction(parsed => Run(new TrainArguments(
            parsed.GetValue(spec)!.FullName,
            parsed.GetValue(epochs),
            parsed.GetValue(output)?.FullName,
            parsed.GetValue(json),
            parsed.GetValue(threads),
            parsed.GetValue(resume)?.FullName,
            parsed.GetValue(device))));
        return command;
    }

    internal static int Run(TrainArguments arguments, CancellationToken cancellation = default)
    {
        var diagnostics = arguments.Json ? Console.Error : Console.Out;
        try
        {
            if (arguments.Threads is { } threadCount)
            {
                if (threadCount < 1)
                {
                    Console.Error.WriteLine($"--threads: must be >= 1, got {threadCount}");
                    return ExitCodes.InvalidInput;
                }
                ComputeThreads.Count = threadCount;
            }
            ComputeDevice device;
            try
            {
                device = arguments.Device is null ? ComputeDevice.Cpu : ComputeDevice.Parse(arguments.Device);
            }
            catch (ArgumentException invalid)
            {
                Console.Error.WriteLine($"trainctl: {invalid.Message}");
                return ExitCodes.InvalidInput;
            }
            if (device.Kind != ComputeDeviceKind.Cpu)
            {
                // Before the data loads: a missing GPU is told at once.
                diagnostics.WriteLine($"computing on {DeviceAccelerator.Probe(device)}");
            }
            var job = JobInput.Load(arguments.SpecPath, arguments.Epochs);
            string outputDirectory = arguments.OutputDirectory ?? Path.GetFullPath(Path.Combine("out", job.Spec.Name));
            Directory.CreateDirectory(outputDirectory);
            if (job.Spec.Adversarial is not null)
            {
                return RunAdversarial(job, outputDirectory, arguments, diagnostics, cancellation);
            }

            using var trainer = Trainer.Create(job.Spec, job.Data,
                model => new LocalGradientBackend(job.Spec, job.Data, model, runners: DeviceShardRunners.For(device)),
                Path.Combine(outputDirectory, "checkpoints"), arguments.ResumeFrom);
            using var tensorBoard = new TensorBoardObserver(Path.Combine(outputDirectory, RunOutputs.TensorBoardDirectory), trainer.Model.Store);
            TrainingSummary summary;
            if (!arguments.Json && !Console.IsOutputRedirected)
            {
                summary = TerminalProgress.Show(job.Spec.Epochs, display =>
                    trainer.Run(new RecordingObserver(display, outputDirectory, job.Spec.Name, tensorBoard), cancellation: cancellation));
            }
            else
            {
                var display = new PlainProgress(diagnostics, job.Spec.Epochs);
                summary = trainer.Run(new RecordingObserver(display, outputDirectory, job.Spec.Name, tensorBoard), cancellation: cancellation);
            }
            if (arguments.Json)
            {
                Console.Out.WriteLine(SummaryJson.Format(summary, outputDirectory));
            }
            else
            {
                diagnostics.WriteLine(
                    $"done: test accuracy {summary.TestAccuracy:P2}, {summary.TrainSamplesPerSecond:F0} samples/s, {summary.WallSeconds:F1} s; outputs in {outputDirectory}");
            }
            return ExitCodes.Ok;
        }
        catch (JobInputException invalid)
        {
            Console.Error.WriteLine(invalid.Message);
            return ExitCodes.InvalidInput;
        }
        catch (Exception device) when (device is DeviceUnavailableException or UnsupportedOnDeviceException)
        {
            // --device names a GPU this machine lacks, or the job has a layer without a device kernel.
            Console.Error.WriteLine($"trainctl: {device.Message}");
            return ExitCodes.InvalidInput;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("trainctl: cancelled; the last checkpoint is in the output directory.");
            return ExitCodes.JobFailed;
        }
        catch (Exception unexpected) when (unexpected is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"trainctl: {unexpected.Message}");
            return ExitCodes.Failure;
        }
    }

    // A GAN job: progress as lines (a GAN has no accuracy for the progress bar), the grids and losses as its outputs.
    private static int RunAdversarial(JobInput job, string outputDirectory, TrainArguments arguments, TextWriter diagnostics,
        CancellationToken cancellation)
    {
        using var trainer = AdversarialTrainer.Create(job.Spec, job.Data, Path.Combine(outputDirectory, "checkpoints"), arguments.ResumeFrom);
        using var outputs = new AdversarialOutputs(outputDirectory, new AdversarialProgress(diagnostics, job.Spec.Epochs));
        var summary = trainer.Run(outputs, cancellation: cancellation);
        if (arguments.Json)
        {
            Console.Out.WriteLine(SummaryJson.Format(summary, outputDirectory));
        }
        else
        {
            diagnostics.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"done: discriminator loss {summary.DiscriminatorLoss:F4}, generator loss {summary.GeneratorLoss:F4}, {summary.WallSeconds:F1} s; samples in {Path.Combine(outputDirectory, AdversarialOutputs.SamplesFile)}"));
        }
        return ExitCodes.Ok;
    }
}

/// <summary>The parsed flags of `trainctl train`.</summary>
internal sealed record TrainArguments(string SpecPath, int? Epochs = null, string? OutputDirectory = null,
    bool Json = false, int? Threads = null, string? ResumeFrom = null, string? Device = null);
