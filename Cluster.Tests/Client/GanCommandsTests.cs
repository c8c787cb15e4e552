using System.Text.Json;
using DistributedTrainer.Tests.Coordinator;
using DistributedTrainer.Tests.Reports;
using Xunit;

namespace DistributedTrainer.Tests.Client;

/// <summary>`trainctl train` on a GAN spec, `trainctl sample` on its checkpoint, and `trainctl local` giving bitwise what `train` gives.</summary>
public sealed class GanCommandsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-trainctl-gan-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    // The CSV problem of TestJobs (4 features per sample) and a GAN over it.
    private string WriteSpec()
    {
        TestJobs.WriteData(_directory);
        string path = Path.Combine(_directory, "gan.yaml");
        File.WriteAllText(path, """
            name: csv-gan
            dataset: { format: CSV, train_path: train.csv, test_path: test.csv, has_header: true, normalization: NONE }
            adversarial:
              loss: NON_SATURATING
              noise_size: 3
              grid_samples: 4
              generator:
                model: { layers: [ { dense: { units: 8 } }, { activation: { kind: RELU } }, { dense: { units: 4 } } ] }
                optimizer: { kind: ADAM, learning_rate: 0.01 }
              discriminator:
                model: { layers: [ { dense: { units: 8 } }, { activation: { kind: LEAKY_RELU } }, { dense: { units: 1 } } ] }
                optimizer: { kind: ADAM, learning_rate: 0.01 }
            batch_size: 16
            epochs: 2
            seed: 3
            """);
        return path;
    }

    [Fact]
    public void Train_GanSpecWithJson_PrintsSummaryAndWritesGridsMetricsAndCheckpoints()
    {
        string output = Path.Combine(_directory, "out");

        var result = TrainctlProcess.Run(Timeout, "train", WriteSpec(), "--json", "--out", output, "--threads", "1");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var summary = JsonDocument.Parse(result.Stdout);
        Assert.Equal(2, summary.RootElement.GetProperty("epochs").GetInt32());
        Assert.Equal(26, summary.RootElement.GetProperty("steps").GetInt32());
        Assert.True(double.IsFinite(summary.RootElement.GetProperty("generator_loss").GetDouble()), result.Stdout);
        var metrics = File.ReadAllLines(Path.Combine(output, "metrics.csv"));
        Assert.Equal(3, metrics.Length);
        Assert.StartsWith("epoch,step,generator_step,discriminator_loss,generator_loss", metrics[0], StringComparison.Ordinal);
        PngEncoderTests.Decode(File.ReadAllBytes(Path.Combine(output, "samples", "epoch-0002.png")));
        Assert.Single(Directory.GetFiles(Path.Combine(output, "tensorboard")));
        Assert.NotEmpty(Directory.GetDirectories(Path.Combine(output, "checkpoints"), "step-*"));
    }

    [Fact]
    public void Sample_GanCheckpoint_WritesAGridOfTheCount()
    {
        string output = Path.Combine(_directory, "out");
        var train = TrainctlProcess.Run(Timeout, "train", WriteSpec(), "--out", output, "--threads", "1");
        Assert.True(train.ExitCode == 0, train.Stderr);
        string checkpoint = Directory.GetDirectories(Path.Combine(output, "checkpoints"), "step-*").Max()!;
        string grid = Path.Combine(_directory, "grid.png");

        var result = TrainctlProcess.Run(Timeout, "sample", checkpoint, "--count", "10", "--out", grid, "--seed", "4");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var decoded = PngEncoderTests.Decode(File.ReadAllBytes(grid));
        // 4 features are a 2x2 image; 4 tiles per row (ceil(sqrt(10))), 3 rows, 2-pixel borders.
        Assert.Equal((4 * 4 + 2, 3 * 4 + 2), (decoded.Width, decoded.Height));
    }

    [Fact]
    public void Sample_GanCheckpointWithoutOut_ExitsWith2NamingTheFlags()
    {
        string output = Path.Combine(_directory, "out");
        var train = TrainctlProcess.Run(Timeout, "train", WriteSpec(), "--out", output, "--threads", "1");
        Assert.True(train.ExitCode == 0, train.Stderr);
        string checkpoint = Directory.GetDirectories(Path.Combine(output, "checkpoints"), "step-*").Max()!;

        var result = TrainctlProcess.Run(Timeout, "sample", checkpoint, "--count", "10");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--count and --out", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Local_GanSpecOnTwoWorkers_MatchesTrainBitwise()
    {
        string trained = Path.Combine(_directory, "train");
        string clustered = Path.Combine(_directory, "local");
        string spec = WriteSpec();
        var train = TrainctlProcess.Run(Timeout, "train", spec, "--json", "--out", trained, "--threads", "1");
        Assert.True(train.ExitCode == 0, train.Stderr);

        var local = TrainctlProcess.Run(Timeout, "local", spec, "--workers", "2", "--threads-per-worker", "1", "--json", "--out", clustered);

        Assert.True(local.ExitCode == 0, local.Stderr);
        using var expected = JsonDocument.Parse(train.Stdout);
        using var actual = JsonDocument.Parse(local.Stdout);
        foreach (string field in new[] { "epochs", "steps", "generator_steps", "discriminator_loss", "generator_loss" })
        {
            Assert.Equal(expected.RootElement.GetProperty(field).GetRawText(), actual.RootElement.GetProperty(field).GetRawText());
        }
        // Both networks and both optimizers are in the checkpoint's files; the grid is drawn by the generator.
        foreach (string file in new[] { "model.safetensors", "optimizer.safetensors" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(expected.RootElement.GetProperty("checkpoint").GetString()!, file)),
                File.ReadAllBytes(Path.Combine(actual.RootElement.GetProperty("checkpoint").GetString()!, file)));
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(trained, "samples", "epoch-0002.png")), File.ReadAllBytes(Path.Combine(clustered, "samples", "epoch-0002.png")));
        Assert.Equal(Losses(trained), Losses(clustered));
        Assert.Single(Directory.GetFiles(Path.Combine(clustered, "tensorboard")));
        Assert.Contains("epoch 2/2  discriminator loss ", local.Stderr, StringComparison.Ordinal);
    }

    // metrics.csv without its timing columns.
    private static string[] Losses(string output) =>
        [.. File.ReadAllLines(Path.Combine(output, "metrics.csv")).Select(line => string.Join(',', line.Split(',').Take(5)))];
}
