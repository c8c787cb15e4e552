using System.Globalization;
using System.Text;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>Tiny CSV problems (label, 4 features) in a directory, and job specs over them that train in well under a second.</summary>
internal static class TestJobs
{
    /// <summary>Writes train.csv (<paramref name="trainRows"/> rows) and test.csv into <paramref name="directory"/>.</summary>
    public static void WriteData(string directory, int trainRows = 200)
    {
        var random = new Random(5);
        foreach (var (file, rows) in new[] { ("train.csv", trainRows), ("test.csv", 60) })
        {
            var csv = new StringBuilder("label,a,b,c,d\n");
            for (int i = 0; i < rows; i++)
            {
                int label = i % 2;
                csv.AppendLine(string.Join(',', new[] { label.ToString(CultureInfo.InvariantCulture) }
                    .Concat(Enumerable.Range(0, 4).Select(_ => (label * 2 - 1 + random.NextDouble() - 0.5).ToString("F3", CultureInfo.InvariantCulture)))));
            }
            File.WriteAllText(Path.Combine(directory, file), csv.ToString());
        }
    }

    /// <summary>The spec YAML over the data in its directory (relative paths, as a user writes it).</summary>
    public static string SpecYaml(int epochs = 3, int units = 8) => $"""
        name: csv-job
        dataset: {"{"} format: CSV, train_path: train.csv, test_path: test.csv, has_header: true, normalization: NONE {"}"}
        model:
          layers:
            - dense: {"{"} units: {units} {"}"}
            - activation: {"{"} kind: RELU {"}"}
            - dense: {"{"} units: 2 {"}"}
        loss: {"{"} kind: SOFTMAX_CROSS_ENTROPY {"}"}
        optimizer: {"{"} kind: ADAM, learning_rate: 0.01 {"}"}
        batch_size: 16
        epochs: {epochs}
        seed: 3
        """;

    /// <summary>Writes the data and job.yaml into <paramref name="directory"/>; returns the spec file's path.</summary>
    public static string WriteSpecFile(string directory, int epochs = 3, int units = 8, int trainRows = 200)
    {
        WriteData(directory, trainRows);
        string path = Path.Combine(directory, "job.yaml");
        File.WriteAllText(path, SpecYaml(epochs, units));
        return path;
    }

    /// <summary>The spec as a client sends it (paths resolved).</summary>
    public static JobSpec Spec(string directory, int epochs = 3, int units = 8, int trainRows = 200) =>
        DistributedTrainer.Jobs.JobSpecLoader.LoadFile(WriteSpecFile(directory, epochs, units, trainRows));
}
