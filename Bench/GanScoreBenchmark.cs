using System.Globalization;
using System.Numerics.Tensors;
using DistributedTrainer.Checkpoints;
using DistributedTrainer.Data;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using DistributedTrainer.Training.Adversarial;
using static DistributedTrainer.Bench.BenchEnvironment;

namespace DistributedTrainer.Bench;

/// <summary>
/// Scores a GAN's samples with a classifier the project trained on the real data (a checkpoint of
/// examples/fashion-mnist-mlp.yaml or fashion-mnist-lenet5.yaml): over N generated samples and over the real test
/// images, the classifier's mean confidence (largest softmax probability), the spread of its predicted classes
/// (entropy of the mean prediction p(y), as the effective number of classes exp H), and the Inception-score-like
/// exp(E_x KL(p(y|x) || p(y))), high when each sample is confidently one class and the classes are spread.
/// </summary>
internal static class GanScoreBenchmark
{
    private const int Chunk = 512;

    public static int Run(string[] args)
    {
        string? classifierPath = Option(args, "--classifier");
        string? generatorPath = Option(args, "--generator");
        if (classifierPath is null || generatorPath is null)
        {
            Console.Error.WriteLine("usage: Bench gan-score --classifier CHECKPOINT --generator CHECKPOINT [--count N] [--seed S]");
            return 2;
        }
        int count = int.Parse(Option(args, "--count") ?? "10000", CultureInfo.InvariantCulture);
        ulong seed = ulong.Parse(Option(args, "--seed") ?? "0", CultureInfo.InvariantCulture);

        var checkpoint = new CheckpointStore(Path.GetDirectoryName(Path.GetFullPath(classifierPath))!).Load(Path.GetFullPath(classifierPath));
        var spec = JobSpec.Parser.ParseJson(checkpoint.Manifest.JobSpecJson);
        var data = DatasetLoader.Load(spec.Dataset, spec.Seed);
        using var classifier = ModelFactory.Build(spec.Model, data.FeatureCount, Chunk);
        CheckpointTensors.RestoreModel(classifier.Store, checkpoint.Model);

        var test = new float[data.Test.Count * data.FeatureCount];
        var labels = new int[data.Test.Count];
        data.Test.Gather(test, labels, Enumerable.Range(0, data.Test.Count).ToArray());
        using var sampler = GanSampler.TryLoad(generatorPath)
            ?? throw new InvalidDataException($"{generatorPath}: not a GAN checkpoint");
        var generated = sampler.Draw(count, seed).Values;

        Console.WriteLine($"Classifier {classifierPath} ({spec.Name}); generator {generatorPath}; load average {LoadAverage()}.");
        Console.WriteLine();
        Console.WriteLine("| samples | count | classifier accuracy | mean confidence | classes spread (exp H(p(y))) | Inception-like score | predicted classes (per mille, 0..9) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---|");
        var real = Score(classifier, test, data.FeatureCount, labels);
        var fake = Score(classifier, generated, data.FeatureCount, null);
        Print("real test images", real);
        Print("generated", fake);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"generated / real: Inception-like score {fake.Score / real.Score:P1}, confidence {fake.Confidence / real.Confidence:P1}"));
        return 0;
    }

    private sealed record Result(int Count, double Accuracy, double Confidence, double Spread, double Score, double[] Predicted);

    private static Result Score(Model classifier, float[] samples, int features, int[]? labels)
    {
        int count = samples.Length / features;
        int classes = classifier.OutputSize;
        var probabilities = new double[count * classes];
        var row = new float[classes];
        var context = new StepContext { Training = false, SampleIds = new long[Chunk] };
        int correct = 0;
        for (int start = 0; start < count; start += Chunk)
        {
            int rows = Math.Min(Chunk, count - start);
            var logits = classifier.Forward(context, samples.AsSpan(start * features, rows * features), rows);
            for (int i = 0; i < rows; i++)
            {
                TensorPrimitives.SoftMax(logits.Slice(i * classes, classes), row);
                for (int c = 0; c < classes; c++)
                {
                    probabilities[(start + i) * classes + c] = row[c];
                }
                if (labels is not null && TensorPrimitives.IndexOfMax(row) == labels[start + i])
                {
                    correct++;
                }
            }
        }
        var marginal = new double[classes];
        double confidence = 0;
        for (int i = 0; i < count; i++)
        {
            double best = 0;
            for (int c = 0; c < classes; c++)
            {
                double p = probabilities[i * classes + c];
                marginal[c] += p / count;
                best = Math.Max(best, p);
            }
            confidence += best / count;
        }
        double klMean = 0;
        for (int i = 0; i < count; i++)
        {
            for (int c = 0; c < classes; c++)
            {
                double p = probabilities[i * classes + c];
                if (p > 0)
                {
                    klMean += p * Math.Log(p / marginal[c]) / count;
                }
            }
        }
        double entropy = -marginal.Where(p => p > 0).Sum(p => p * Math.Log(p));
        var predicted = new double[classes];
        for (int i = 0; i < count; i++)
        {
            int best = 0;
            for (int c = 1; c < classes; c++)
            {
                if (probabilities[i * classes + c] > probabilities[i * classes + best])
                {
                    best = c;
                }
            }
            predicted[best] += 1.0 / count;
        }
        return new Result(count, labels is null ? double.NaN : (double)correct / count, confidence, Math.Exp(entropy), Math.Exp(klMean), predicted);
    }

    private static void Print(string name, Result result) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {result.Count} | {(double.IsNaN(result.Accuracy) ? "-" : result.Accuracy.ToString("P2", CultureInfo.InvariantCulture))} | {result.Confidence:F3} | {result.Spread:F2} | {result.Score:F2} | {string.Join(' ', result.Predicted.Select(p => Math.Round(p * 1000).ToString(CultureInfo.InvariantCulture)))} |"));
}
