using DistributedTrainer.Protos.V1;
using DistributedTrainer.Reports;
using DistributedTrainer.Training;
using DistributedTrainer.Training.Adversarial;

namespace DistributedTrainer.Client.Local;

/// <summary>
/// Makes a coordinator job's outputs look like those of `trainctl train`: metrics.csv, curves.svg, tensorboard/ and
/// checkpoints/ (and a GAN job's samples.png and samples/) are copied from the job directory (<c>OUT/state/jobs/ID/</c>)
/// to <c>OUT/</c>, and the final job becomes the same <see cref="TrainingSummary"/> or <see cref="AdversarialSummary"/>.
/// </summary>
/// <remarks>
/// Copied, not moved or linked: the state directory stays whole, so <c>Coordinator --state-dir OUT/state</c> still serves
/// the job (GetJob, DownloadCheckpoint), and OUT/ holds plain files that outlive a later cleanup of state/. The copy is
/// made after the processes are stopped, so no file is copied while being rewritten; each file is copied atomically.
/// </remarks>
internal static class LocalJobOutputs
{
    /// <summary>The job directory inside a coordinator state directory (the layout of Coordinator's CoordinatorPaths).</summary>
    public static string JobDirectory(string stateDirectory, string jobId) => Path.Combine(stateDirectory, "jobs", jobId);

    /// <summary>Copies the job's outputs that exist into <paramref name="outputDirectory"/>, replacing older copies.</summary>
    public static async Task CopyAsync(string jobDirectory, string outputDirectory)
    {
        foreach (var file in new[] { RunOutputs.MetricsFile, RunOutputs.CurvesFile, AdversarialOutputs.SamplesFile })
        {
            string source = Path.Combine(jobDirectory, file);
            if (File.Exists(source))
            {
                await CopyFileAsync(source, Path.Combine(outputDirectory, file));
            }
        }
        foreach (var directory in new[] { RunOutputs.TensorBoardDirectory, "checkpoints", AdversarialOutputs.SamplesDirectory })
        {
            string source = Path.Combine(jobDirectory, directory);
            if (!Directory.Exists(source))
            {
                continue;
            }
            foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                await CopyFileAsync(file, Path.Combine(outputDirectory, directory, Path.GetRelativePath(source, file)));
            }
        }
    }

    /// <summary>The summary `trainctl train --json` would print for <paramref name="job"/>, its checkpoint in the copied checkpoints/.</summary>
    public static TrainingSummary Summary(Job job, string outputDirectory)
    {
        var result = job.Result ?? new JobResult();
        string? checkpoint = job.LastCheckpoint.Length == 0 ? null : Path.Combine(outputDirectory, "checkpoints", job.LastCheckpoint);
        return new TrainingSummary(result.Epochs, result.Steps, result.TestAccuracy, result.TestLoss,
            result.TrainSamplesPerSecond, result.WallSeconds, result.StoppedEarly, checkpoint)
        {
            // A result from a coordinator that predates the field reads 0; only a TEXT job has a bits-per-character figure.
            TestBitsPerCharacter = result.TestBitsPerCharacter > 0 ? result.TestBitsPerCharacter : double.NaN,
        };
    }

    /// <summary>The summary `trainctl train --json` would print for the GAN job <paramref name="job"/>, its checkpoint in the copied checkpoints/.</summary>
    public static AdversarialSummary AdversarialSummary(Job job, string outputDirectory)
    {
        var result = job.Result ?? new JobResult();
        string? checkpoint = job.LastCheckpoint.Length == 0 ? null : Path.Combine(outputDirectory, "checkpoints", job.LastCheckpoint);
        return new AdversarialSummary(result.Epochs, result.Steps, result.GeneratorSteps, result.DiscriminatorLoss, result.GeneratorLoss,
            result.WallSeconds, checkpoint);
    }

    private static Task<long> CopyFileAsync(string source, string destination) =>
        AtomicFile.WriteAsync(destination, async stream =>
        {
            await using var input = File.OpenRead(source);
            await input.CopyToAsync(stream);
            return input.Length;
        });
}
