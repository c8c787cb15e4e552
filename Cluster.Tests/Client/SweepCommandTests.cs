using System.Text.Json;
using DistributedTrainer.Jobs;
using DistributedTrainer.Tests.Coordinator;
using Xunit;

namespace DistributedTrainer.Tests.Client;

/// <summary>`trainctl sweep` end to end: against a coordinator child process, and with --local.</summary>
public sealed class SweepCommandTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private static readonly string[] OutputFiles =
        ["best-checkpoint.tar", "objective.svg", "parameter-optimizer.learning_rate.svg", "parameter-model.layers_0_.dense.units.svg"];
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-sweep-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Sweep_AgainstCoordinator_WritesEveryOutput()
    {
        using var coordinator = await CoordinatorProcess.StartAsync(Path.Combine(_directory, "state"));
        string output = Path.Combine(_directory, "out");

        var result = TrainctlProcess.Run(Timeout, "sweep", WriteSweep(trials: 4), "--json", "--coordinator", coordinator.Address.ToString(), "--out", output);

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var sweep = JsonDocument.Parse(result.Stdout);
        Assert.Equal("SWEEP_SUCCEEDED", sweep.RootElement.GetProperty("state").GetString());
        Assert.Equal(5, File.ReadAllLines(Path.Combine(output, "trials.csv")).Length);
        Assert.Equal(2, JobSpecLoader.LoadFile(Path.Combine(output, "best-trial.json")).Epochs);
        Assert.All(OutputFiles, file => Assert.True(File.Exists(Path.Combine(output, file)), $"{file} missing"));
    }

    [Fact]
    public void Sweep_Local_RunsOnItsOwnCluster()
    {
        string output = Path.Combine(_directory, "out");

        var result = TrainctlProcess.Run(Timeout, "sweep", WriteSweep(trials: 2), "--local", "--workers", "2", "--threads-per-worker", "1", "--out", output);

        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.Contains("trial 1 succeeded", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(output, "trials.csv")).Length);
    }

    [Fact]
    public void Sweep_UnknownPath_ExitsWith2NamingTheField()
    {
        string spec = WriteSweep(trials: 2).Replace(".yaml", "-bad.yaml", StringComparison.Ordinal);
        File.WriteAllText(spec, File.ReadAllText(WriteSweep(trials: 2)).Replace("optimizer.learning_rate", "optimizer.learning_rat", StringComparison.Ordinal));

        var result = TrainctlProcess.Run(Timeout, "sweep", spec, "--coordinator", "http://127.0.0.1:1");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("parameters[0].path: unknown field \"learning_rat\"", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Writes the CSV data and a random sweep of <paramref name="trials"/> 2-epoch trials; returns the spec's path.</summary>
    private string WriteSweep(int trials)
    {
        TestJobs.WriteData(_directory);
        string path = Path.Combine(_directory, "sweep.yaml");
        File.WriteAllText(path, $$"""
            name: csv-sweep
            base:
              dataset: { format: CSV, train_path: train.csv, test_path: test.csv, has_header: true, normalization: NONE }
              model:
                layers:
                  - dense: { units: 8 }
                  - activation: { kind: RELU }
                  - dense: { units: 2 }
              loss: { kind: SOFTMAX_CROSS_ENTROPY }
              optimizer: { kind: ADAM, learning_rate: 0.01 }
              batch_size: 16
              epochs: 2
              seed: 3
            parameters:
              - path: optimizer.learning_rate
                log_uniform: { min: 1.0e-3, max: 0.1 }
              - path: model.layers[0].dense.units
                choice: { values: [4, 8] }
            objective: { metric: test_loss }
            max_trials: {{trials}}
            max_concurrent_trials: 2
            seed: 9
            """);
        return path;
    }
}
