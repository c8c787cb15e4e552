using System.Runtime.InteropServices;
using DistributedTrainer.Data;
using DistributedTrainer.Data.Shards;
using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Tests.Data.Shards;

/// <summary>Small IDX data sets, their shard conversions and a job spec over them.</summary>
internal static class ShardTestData
{
    public const int TrainSamples = 40;
    public const int TestSamples = 12;

    /// <summary>
    /// IDX files in <paramref name="directory"/>: 4x4 byte images whose mean brightness follows the class (3 classes),
    /// 40 for training and 12 for testing. Returns the IDX dataset spec over them.
    /// </summary>
    public static DatasetSpec WriteIdx(string directory)
    {
        var random = new Random(11);
        DatasetSpec spec = new() { Format = DatasetSpec.Types.Format.Idx, Normalization = DatasetSpec.Types.Normalization.Scale };
        foreach (var (name, count) in new[] { ("train", TrainSamples), ("test", TestSamples) })
        {
            var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 3)).ToArray();
            var images = labels.SelectMany(label => Enumerable.Range(0, 16).Select(_ => (byte)(label * 80 + random.Next(60)))).ToArray();
            string imagesPath = IdxTestFiles.Write(Path.Combine(directory, $"{name}-images"), [count, 4, 4], images);
            string labelsPath = IdxTestFiles.Write(Path.Combine(directory, $"{name}-labels"), [count], labels);
            if (name == "train")
            {
                (spec.TrainPath, spec.TrainLabelsPath) = (imagesPath, labelsPath);
            }
            else
            {
                (spec.TestPath, spec.TestLabelsPath) = (imagesPath, labelsPath);
            }
        }
        return spec;
    }

    /// <summary>Converts the IDX files of <paramref name="idx"/> to shard directories of <paramref name="shardSize"/> samples; returns the SHARDS spec.</summary>
    public static DatasetSpec ConvertToShards(DatasetSpec idx, string directory, int shardSize = 7)
    {
        string train = Path.Combine(directory, "train-shards");
        string test = Path.Combine(directory, "test-shards");
        ShardConverter.FromIdx(idx.TrainPath, idx.TrainLabelsPath, train, shardSize);
        ShardConverter.FromIdx(idx.TestPath, idx.TestLabelsPath, test, shardSize);
        return new DatasetSpec
        {
            Format = DatasetSpec.Types.Format.Shards,
            TrainPath = train,
            TestPath = test,
            Normalization = idx.Normalization,
            ValidationFraction = idx.ValidationFraction,
        };
    }

    /// <summary>A two-layer MLP job over <paramref name="dataset"/> with <paramref name="outputs"/> outputs.</summary>
    public static JobSpec Job(DatasetSpec dataset, int outputs = 3, LossSpec.Types.Kind loss = LossSpec.Types.Kind.SoftmaxCrossEntropy, int epochs = 2)
    {
        var spec = JobSpecLoader.Parse($$"""
            name: shards
            model:
              layers:
                - dense: { units: 8 }
                - activation: { kind: RELU }
                - dense: { units: {{outputs}} }
            optimizer: { kind: ADAM, learning_rate: 0.01 }
            batch_size: 8
            micro_shard_size: 4
            epochs: {{epochs}}
            seed: 3
            """, SpecFormat.Yaml);
        spec.Dataset = dataset;
        spec.Loss = new LossSpec { Kind = loss };
        return spec;
    }

    /// <summary>Writes a shard directory of float32 features (samples, features) and the given targets.</summary>
    public static string WriteFloatShards(string directory, float[] features, int featureCount, TargetKind kind, float[] targets,
        int[] targetShape, int shardSize, int? classCount = null)
    {
        int samples = features.Length / featureCount;
        int width = targets.Length / samples;
        ShardConverter.WriteAtomically(directory, temporary =>
        {
            using var writer = new ShardWriter(temporary, NpyDType.Float32, [featureCount], kind, NpyDType.Float32, targetShape,
                classCount, samples, shardSize);
            for (int i = 0; i < samples; i++)
            {
                writer.Add(MemoryMarshal.AsBytes(features.AsSpan(i * featureCount, featureCount)), MemoryMarshal.AsBytes(targets.AsSpan(i * width, width)));
            }
            return writer.Complete();
        });
        return directory;
    }
}
