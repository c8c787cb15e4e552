using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;

namespace DistributedTrainer.Bench.Soak;

/// <summary>
/// The soak's queue: 20 small MLP variants (hidden sizes, depth, optimizer, batch, epochs, seed, training subset) over
/// Fashion-MNIST subsets written as IDX files, each with a spec file that both `trainctl train` and the cluster run.
/// </summary>
internal static class SoakJobs
{
    public const int Count = 20;
    private const string Source = "/usr/share/datasets/fashion-mnist";
    private const int TestSamples = 500;
    private static readonly int[] TrainSamples = [1000, 1250, 1500, 1750, 2000];

    /// <summary>Writes the data subsets and the 20 spec files under <paramref name="directory"/>; returns the spec paths.</summary>
    public static IReadOnlyList<string> Write(string directory)
    {
        var images = ReadIdx(Path.Combine(Source, "train-images-idx3-ubyte.gz"));
        var labels = ReadIdx(Path.Combine(Source, "train-labels-idx1-ubyte.gz"));
        var testImages = ReadIdx(Path.Combine(Source, "t10k-images-idx3-ubyte.gz"));
        var testLabels = ReadIdx(Path.Combine(Source, "t10k-labels-idx1-ubyte.gz"));
        foreach (int samples in TrainSamples)
        {
            WriteSubset(images, samples, Path.Combine(directory, $"train-{samples}-images.idx"));
            WriteSubset(labels, samples, Path.Combine(directory, $"train-{samples}-labels.idx"));
        }
        WriteSubset(testImages, TestSamples, Path.Combine(directory, "test-images.idx"));
        WriteSubset(testLabels, TestSamples, Path.Combine(directory, "test-labels.idx"));

        var specs = new List<string>();
        for (int i = 0; i < Count; i++)
        {
            string path = Path.Combine(directory, $"soak-{i:D2}.yaml");
            File.WriteAllText(path, Spec(i, directory));
            specs.Add(path);
        }
        return specs;
    }

    private static string Spec(int i, string directory)
    {
        int samples = TrainSamples[i % TrainSamples.Length];
        int hidden = 16 + 16 * (i % 4);
        string second = i % 3 == 0 ? $"\n    - dense: {{ units: {hidden / 2} }}\n    - activation: {{ kind: RELU }}" : "";
        string optimizer = i % 2 == 0 ? "{ kind: ADAM, learning_rate: 1.0e-3 }" : "{ kind: MOMENTUM, learning_rate: 0.05, momentum: 0.9 }";
        int batch = new[] { 32, 64, 128 }[i % 3];
        return string.Create(CultureInfo.InvariantCulture, $"""
            name: soak-{i:D2}
            dataset:
              format: IDX
              train_path: {Path.Combine(directory, $"train-{samples}-images.idx")}
              train_labels_path: {Path.Combine(directory, $"train-{samples}-labels.idx")}
              test_path: {Path.Combine(directory, "test-images.idx")}
              test_labels_path: {Path.Combine(directory, "test-labels.idx")}
              normalization: SCALE
              validation_fraction: 0
              num_classes: 10
            model:
              layers:
                - dense: {"{"} units: {hidden} {"}"}
                - activation: {"{"} kind: RELU {"}"}{second}
                - dense: {"{"} units: 10 {"}"}
            loss: {"{"} kind: SOFTMAX_CROSS_ENTROPY {"}"}
            optimizer: {optimizer}
            batch_size: {batch}
            epochs: {1 + i % 2}
            checkpoint: {"{"} every_steps: 5, keep: 2 {"}"}
            seed: {100 + i}
            min_workers: 1
            max_workers: {1 + i % 3}

            """);
    }

    private static byte[] ReadIdx(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var bytes = new MemoryStream();
        gzip.CopyTo(bytes);
        return bytes.ToArray();
    }

    /// <summary>The first <paramref name="count"/> records of an IDX file, with the first dimension set to it.</summary>
    private static void WriteSubset(byte[] idx, int count, string path)
    {
        int dimensions = idx[3];
        int record = 1;
        for (int d = 1; d < dimensions; d++)
        {
            record *= BinaryPrimitives.ReadInt32BigEndian(idx.AsSpan(4 + 4 * d));
        }
        int header = 4 + 4 * dimensions;
        var subset = idx[..(header + count * record)];
        BinaryPrimitives.WriteInt32BigEndian(subset.AsSpan(4), count);
        File.WriteAllBytes(path, subset);
    }
}
