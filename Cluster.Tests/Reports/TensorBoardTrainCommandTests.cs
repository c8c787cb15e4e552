using System.Globalization;
using System.Text;
using DistributedTrainer.Tests.Client;
using Xunit;

namespace DistributedTrainer.Tests.Reports;

/// <summary>`trainctl train` leaves TensorBoard events in &lt;out&gt;/tensorboard.</summary>
public sealed class TensorBoardTrainCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-trainctl-tb-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string WriteSpec()
    {
        var csv = new StringBuilder("label,a,b\n");
        for (int i = 0; i < 40; i++)
        {
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{i % 2},{i % 2 * 2 - 1 + 0.01 * i},{0.02 * i}"));
        }
        File.WriteAllText(Path.Combine(_directory, "data.csv"), csv.ToString());
        string spec = Path.Combine(_directory, "job.yaml");
        File.WriteAllText(spec, """
            name: tb-job
            dataset: { format: CSV, train_path: data.csv, test_path: data.csv, has_header: true, normalization: NONE }
            model:
              layers:
                - dense: { units: 2 }
            loss: { kind: SOFTMAX_CROSS_ENTROPY }
            optimizer: { kind: SGD, learning_rate: 0.1 }
            batch_size: 10
            epochs: 2
            seed: 1
            """);
        return spec;
    }

    [PythonProtobufFact]
    public void Train_TinyCsvJob_WritesStepAndEpochScalars()
    {
        string output = Path.Combine(_directory, "out");

        var result = TrainctlProcess.Run(TimeSpan.FromMinutes(2), "train", WriteSpec(), "--json", "--out", output, "--threads", "1");

        Assert.True(result.ExitCode == 0, result.Stderr);
        string eventFile = Assert.Single(Directory.GetFiles(Path.Combine(output, "tensorboard"), "events.out.tfevents.*"));
        var scalars = EventFileReader.Read(eventFile).Scalars;
        Assert.Equal(
            ["epoch/samples_per_second", "epoch/test_accuracy", "epoch/test_loss", "epoch/train_accuracy", "epoch/train_loss",
                "health/gradient_norm/dense0.bias", "health/gradient_norm/dense0.weight", "health/update_ratio/dense0.bias",
                "health/update_ratio/dense0.weight", "step/clip_scale", "step/gradient_norm", "step/learning_rate", "step/loss"],
            scalars.Select(point => point.Tag).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(8, scalars.Count(point => point.Tag == "step/loss"));
    }
}
