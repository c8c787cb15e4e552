using System.Globalization;
using System.Text;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Training.Adversarial;

namespace DistributedTrainer.Tests.Cluster;

/// <summary>
/// The synthetic GAN of <see cref="SyntheticGanJobs"/> over 4x4 Gaussian blobs written as CSV files, so that workers load
/// the same data from the spec as the coordinator.
/// </summary>
internal static class ClusterGanJobs
{
    /// <summary>Writes train.csv (60 samples) and test.csv into <paramref name="directory"/> and returns the spec over them.</summary>
    public static JobSpec WriteSpec(string directory, AdversarialSpec.Types.Loss loss = AdversarialSpec.Types.Loss.NonSaturating, int epochs = 3)
    {
        var random = new Random(5);
        var centres = Enumerable.Range(0, 2)
            .Select(_ => Enumerable.Range(0, SyntheticGanJobs.Features).Select(_ => random.NextDouble() * 2 - 1).ToArray())
            .ToArray();
        foreach (var (file, rows) in new[] { ("train.csv", 60), ("test.csv", 20) })
        {
            var csv = new StringBuilder();
            for (int i = 0; i < rows; i++)
            {
                int label = i % 2;
                csv.Append(label.ToString(CultureInfo.InvariantCulture));
                foreach (double centre in centres[label])
                {
                    csv.Append(',').Append((centre + (random.NextDouble() - 0.5) * 0.4).ToString("F4", CultureInfo.InvariantCulture));
                }
                csv.Append('\n');
            }
            File.WriteAllText(Path.Combine(directory, file), csv.ToString());
        }
        var spec = SyntheticGanJobs.Spec(loss, epochs);
        spec.Dataset = new DatasetSpec
        {
            Format = DatasetSpec.Types.Format.Csv,
            TrainPath = Path.Combine(directory, "train.csv"),
            TestPath = Path.Combine(directory, "test.csv"),
            NumClasses = 2,
        };
        return spec;
    }
}
