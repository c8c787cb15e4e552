using System.Text.Json;
using DistributedTrainer.Numerics.Initializers;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Losses;
using DistributedTrainer.Training;
using Xunit;
using Xunit.Abstractions;

namespace DistributedTrainer.Tests.Numerics;

/// <summary>
/// Replays Golden/text.json (Golden/generate_text_golden.py: PyTorch nn.Embedding, nn.GRU and a per-step nn.Linear
/// under a per-step cross-entropy, float64) through <see cref="Embedding"/>, <see cref="Recurrent"/> (SEQUENCE) and a
/// <see cref="Dense"/> with steps under <see cref="TargetEncoding.StepLoss"/> in float32: the logits, the loss and
/// every parameter gradient must match, which pins the character model's layout, names and loss.
/// </summary>
public sealed class TextModelGoldenTests(ITestOutputHelper output)
{
    private const double Relative = 1e-4;
    private const double Absolute = 2e-6;

    [Fact]
    public void ForwardLossAndBackward_PyTorchCharacterModel_MatchEveryTensor()
    {
        var golden = GoldenFiles.Load("text.json");
        int batch = golden.GetProperty("batch").GetInt32(), steps = golden.GetProperty("steps").GetInt32();
        int vocabulary = golden.GetProperty("vocabulary").GetInt32(), dimensions = golden.GetProperty("dimensions").GetInt32();
        int hidden = golden.GetProperty("hidden_size").GetInt32();
        var zeros = new ZerosInitializer();
        using var model = new Model(
        [
            new Embedding("embed", steps, vocabulary, dimensions, zeros),
            new Recurrent("gru", steps * dimensions, RecurrentKind.Gru, dimensions, hidden, 1, false, RecurrentOutput.Sequence),
            new Dense("out", hidden, vocabulary, zeros, zeros, steps: steps),
        ], batch);
        string[] names = [.. golden.GetProperty("parameter_names").EnumerateArray().Select(item => item.GetString()!)];
        Assert.Equal(names, model.Store.Parameters.Select(view => view.Name));
        var parameters = golden.GetProperty("parameters").EnumerateArray().ToArray();
        for (int i = 0; i < parameters.Length; i++)
        {
            GoldenFiles.Floats(parameters[i]).CopyTo(model.Store.ValuesOf(model.Store.Parameters[i]));
        }
        float[] ids = [.. golden.GetProperty("ids").EnumerateArray().Select(item => (float)item.GetInt32())];
        int[] targets = [.. golden.GetProperty("targets").EnumerateArray().Select(item => item.GetInt32())];
        float[] encoded = new float[batch * steps * vocabulary];
        TargetEncoding.Encode(encoded, targets, vocabulary);
        float[] outputGradient = new float[encoded.Length];
        var context = GradientCheck.Training(batch);
        var comparison = new GoldenFiles.Comparison("text", Relative, Absolute);

        model.ZeroGradients();
        var logits = model.Forward(context, ids, batch);
        comparison.Add(GoldenFiles.Floats(golden.GetProperty("logits")), logits, "logits");
        double loss = TargetEncoding.StepLoss(new SoftmaxCrossEntropy(), outputGradient, logits, encoded, batch, steps, vocabulary);
        comparison.Add([golden.GetProperty("loss").GetDouble()], [loss], "loss");
        model.Backward(context, outputGradient, [], batch);

        var gradients = golden.GetProperty("parameter_grads").EnumerateArray().ToArray();
        for (int i = 0; i < gradients.Length; i++)
        {
            comparison.Add(GoldenFiles.Floats(gradients[i]), model.Store.GradientsOf(model.Store.Parameters[i]), names[i] + ".grad");
        }
        comparison.Report(output);
    }
}
