using DistributedTrainer.Data;
using DistributedTrainer.Numerics.Losses;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Training;

public sealed class EvaluatorTests
{
    private const int Window = 4;
    private const int Vocabulary = 5;

    [Fact]
    public void Evaluate_UnscoredSteps_LossAndCorrectCountOnlyTheScoredOnes()
    {
        // An embedding and a per-step dense: logits (B, 4 x 5) from windows of 4 ids.
        var spec = new ModelSpec();
        spec.Layers.Add(new LayerSpec { Embedding = new EmbeddingSpec { VocabularySize = Vocabulary, Dimensions = 3 } });
        spec.Layers.Add(new LayerSpec { Dense = new DenseSpec { Units = Vocabulary, StepFeatures = 3 } });
        using var model = ModelFactory.Build(spec, Window, 8);
        model.Initialize(11);
        float[] features = [0, 1, 2, 3, 4, 3, 2, 1, 1, 1, 0, 0];
        int u = Dataset.Unscored;
        int[] labels = [u, u, 3, 4, u, 2, 1, 0, 2, 3, u, 4];
        var data = Dataset.FromFloats(features, labels, Window, Vocabulary, Window);
        using var evaluator = new Evaluator(model, new SoftmaxCrossEntropy(), Window, 8);

        var result = evaluator.Evaluate(data);

        // By hand: each sample's loss is the sum of -log softmax at its scored steps over all 4 steps.
        var logits = model.Forward(new StepContext { Training = false }, features, 3).ToArray();
        double expectedLoss = 0;
        int expectedCorrect = 0;
        for (int row = 0; row < 12; row++)
        {
            if (labels[row] == u)
            {
                continue;
            }
            float[] z = logits[(row * Vocabulary)..((row + 1) * Vocabulary)];
            double max = z.Max();
            double logSumExp = max + Math.Log(z.Sum(value => Math.Exp(value - max)));
            expectedLoss += (logSumExp - z[labels[row]]) / Window;
            expectedCorrect += Array.IndexOf(z, z.Max()) == labels[row] ? 1 : 0;
        }
        Assert.Equal(3, result.Samples);
        Assert.Equal(expectedLoss, result.LossSum, 5);
        Assert.Equal(expectedCorrect, result.Correct);
    }
}
