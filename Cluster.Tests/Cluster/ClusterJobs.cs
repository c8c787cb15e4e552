using System.Globalization;
using System.Text;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Training;

namespace DistributedTrainer.Tests.Cluster;

/// <summary>
/// The synthetic job (dropout, DropConnect, batch norm, a residual block, Adam with warm-up, clipping, L2) over
/// Gaussian blobs written as CSV files, so that workers load the same data from the spec as the coordinator.
/// </summary>
internal static class ClusterJobs
{
    /// <summary>Writes train.csv and test.csv into <paramref name="directory"/> and returns the spec over them.</summary>
    public static JobSpec WriteSpec(string directory, int epochs = 3, float validationFraction = 0.2f)
    {
        var random = new Random(11);
        const int features = 6;
        const int classes = 3;
        var centres = Enumerable.Range(0, classes)
            .Select(_ => Enumerable.Range(0, features).Select(_ => random.NextDouble() * 4 - 2).ToArray())
            .ToArray();
        foreach (var (file, rows) in new[] { ("train.csv", 240), ("test.csv", 90) })
        {
            var csv = new StringBuilder();
            for (int i = 0; i < rows; i++)
            {
                int label = i % classes;
                csv.Append(label.ToString(CultureInfo.InvariantCulture));
                for (int f = 0; f < features; f++)
                {
                    csv.Append(',').Append((centres[label][f] + (random.NextDouble() - 0.5) * 1.2).ToString("F4", CultureInfo.InvariantCulture));
                }
                csv.Append('\n');
            }
            File.WriteAllText(Path.Combine(directory, file), csv.ToString());
        }
        var spec = SyntheticJobs.Spec(epochs);
        spec.Dataset = new DatasetSpec
        {
            Format = DatasetSpec.Types.Format.Csv,
            TrainPath = Path.Combine(directory, "train.csv"),
            TestPath = Path.Combine(directory, "test.csv"),
            Normalization = DatasetSpec.Types.Normalization.Standardize,
            ValidationFraction = validationFraction,
            NumClasses = classes,
        };
        return spec;
    }
}
