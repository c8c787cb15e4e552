using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class EmbeddingTests
{
    [Fact]
    public void Forward_Ids_CopiesTheirWeightRows()
    {
        using var model = new Model([new Embedding("e", 3, 4, 2, new LayerTestInitializer())], 2);
        model.Initialize(7);
        var weight = model.Store.ValuesOf(model.Store.Parameters[0]).ToArray();
        float[] ids = [3, 0, 3, 1, 2, 0];

        var output = model.Forward(GradientCheck.Evaluation(), ids, 2).ToArray();

        float[] expected = [.. ids.SelectMany(id => weight.AsSpan((int)id * 2, 2).ToArray())];
        Assert.Equal(expected, output);
    }

    [Fact]
    public void Backward_RepeatedIds_MatchesCentralDifferences()
    {
        using var model = new Model([new Embedding("e", 4, 5, 3, new LayerTestInitializer())], 3);
        model.Initialize(11);
        float[] ids = [0, 4, 4, 2, 1, 1, 1, 3, 0, 2, 4, 0];
        float[] weights = GradientCheck.RandomValues(3 * model.OutputSize, 5);
        var context = GradientCheck.Training(3);
        double Objective()
        {
            var output = model.Forward(context, ids, 3);
            double sum = 0;
            for (int i = 0; i < weights.Length; i++)
            {
                sum += (double)output[i] * weights[i];
            }
            return sum;
        }

        model.ZeroGradients();
        model.Forward(context, ids, 3);
        model.Backward(context, weights, [], 3);

        var view = model.Store.Parameters[0];
        GradientCheck.AssertMatches(view.Name, () => model.Store.ValuesOf(view), model.Store.Gradients.ToArray(), Objective);
    }

    [Fact]
    public void Forward_IdOutsideVocabulary_ThrowsNamingLayerAndPosition()
    {
        using var model = new Model([new Embedding("embed", 3, 4, 2, new LayerTestInitializer())], 1);
        model.Initialize(1);

        var error = Assert.Throws<ArgumentException>(() => model.Forward(GradientCheck.Evaluation(), [1, 4, 0], 1).ToArray());

        Assert.Contains("Embedding layer 'embed': input 1 of row 0 is 4, not an id in [0, 4)", error.Message, StringComparison.Ordinal);
    }
}
