using System.Diagnostics;
using System.Text.Json;
using DistributedTrainer.Tests.Jobs;
using Xunit;

namespace DistributedTrainer.Tests.Client;

/// <summary>Shards written by numpy (examples/write_shards.py, as docs/DATASETS.md shows) train with `trainctl train`.</summary>
public sealed class PythonShardsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-numpy-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private void WriteShards(string kind)
    {
        var start = new ProcessStartInfo(NumpyFactAttribute.Python, [Path.Combine(RepositoryRoot.Directory, "examples", "write_shards.py"), _directory, "--kind", kind])
        {
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        string stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), "write_shards.py did not finish in 60 s");
        Assert.True(process.ExitCode == 0, stderr);
    }

    private JsonElement Train(string outputs, string loss)
    {
        string spec = Path.Combine(_directory, "job.yaml");
        File.WriteAllText(spec, $$"""
            name: numpy-shards
            dataset: { format: SHARDS, train_path: train, test_path: test, normalization: NONE }
            model:
              layers:
                - dense: { units: 16 }
                - activation: { kind: RELU }
                - dense: { units: {{outputs}} }
            loss: { kind: {{loss}} }
            optimizer: { kind: ADAM, learning_rate: 0.01 }
            batch_size: 16
            epochs: 6
            seed: 1
            """);
        var result = TrainctlProcess.Run(Timeout, "train", spec, "--json", "--out", Path.Combine(_directory, "out"), "--threads", "1");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var summary = JsonDocument.Parse(result.Stdout);
        return summary.RootElement.Clone();
    }

    [NumpyFact]
    public void Train_NumpyClassIds_Learns()
    {
        WriteShards("class_ids");

        var summary = Train("3", "SOFTMAX_CROSS_ENTROPY");

        Assert.True(summary.GetProperty("test_accuracy").GetDouble() > 0.8, summary.ToString());
    }

    [NumpyFact]
    public void Train_NumpyRealTargetsWithMse_Learns()
    {
        WriteShards("real");

        var summary = Train("2", "MSE");

        Assert.True(summary.GetProperty("test_loss").GetDouble() < 0.2, summary.ToString());
    }

    [NumpyFact]
    public void Train_NumpyMultiHotTargets_Learns()
    {
        WriteShards("multi_hot");

        var summary = Train("4", "MULTI_LABEL_BINARY_CROSS_ENTROPY");

        Assert.True(summary.GetProperty("test_accuracy").GetDouble() > 0.5, summary.ToString());
    }
}
