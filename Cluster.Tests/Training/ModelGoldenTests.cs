using System.Text.Json;
using DistributedTrainer.Numerics.Initializers;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Losses;
using DistributedTrainer.Tests.Numerics;
using DistributedTrainer.Training;
using Xunit;
using Xunit.Abstractions;

namespace DistributedTrainer.Tests.Training;

/// <summary>
/// The project's own layers and loss against PyTorch (Golden/mlp.json from generate_golden.py): an MLP's
/// logits, summed softmax cross-entropy, and the gradients of every weight, bias and of the input.
/// </summary>
public sealed class ModelGoldenTests(ITestOutputHelper output)
{
    private static readonly JsonElement Golden = GoldenFiles.Load("mlp.json");

    private static float[] Flat(JsonElement matrix) => [.. matrix.EnumerateArray().SelectMany(row => GoldenFiles.Floats(row))];

    [Fact]
    public void MlpForwardAndBackward_MatchPyTorch()
    {
        var layers = Golden.GetProperty("layers").EnumerateArray().ToArray();
        float[] inputs = Flat(Golden.GetProperty("inputs"));
        int[] labels = [.. Golden.GetProperty("labels").EnumerateArray().Select(label => label.GetInt32())];
        int batch = labels.Length;
        var zeros = new ZerosInitializer();
        using var model = new Model(
            [
                new Dense("fc1", 6, 5, zeros, zeros), new Relu("relu1", 5),
                new Dense("fc2", 5, 4, zeros, zeros), new Tanh("tanh2", 4),
                new Dense("fc3", 4, 3, zeros, zeros),
            ],
            maxBatch: batch);
        foreach (var layer in layers)
        {
            string name = layer.GetProperty("name").GetString()!;
            Flat(layer.GetProperty("weight")).CopyTo(model.Store.ValuesOf(View(model, name + ".weight")));
            GoldenFiles.Floats(layer.GetProperty("bias")).CopyTo(model.Store.ValuesOf(View(model, name + ".bias")));
        }
        var context = new StepContext { Training = true, SampleIds = [0, 1, 2, 3] };
        var targets = new float[batch * 3];
        TargetEncoding.Encode(targets, labels, 3);
        var logitGradient = new float[batch * 3];
        var inputGradient = new float[inputs.Length];
        var comparison = new GoldenFiles.Comparison("mlp");

        var logits = model.Forward(context, inputs, batch).ToArray();
        double loss = new SoftmaxCrossEntropy().Compute(logitGradient, logits, targets, batch, 3);
        model.ZeroGradients();
        model.Backward(context, logitGradient, inputGradient, batch);

        comparison.Add(Flat(Golden.GetProperty("logits")), logits, "logits");
        comparison.Add([Golden.GetProperty("loss").GetDouble()], [loss], "loss");
        comparison.Add(Flat(Golden.GetProperty("input_grad")), inputGradient, "input_grad");
        foreach (var layer in layers)
        {
            string name = layer.GetProperty("name").GetString()!;
            comparison.Add(Flat(layer.GetProperty("weight_grad")), model.Store.GradientsOf(View(model, name + ".weight")), name + ".weight_grad");
            comparison.Add(GoldenFiles.Floats(layer.GetProperty("bias_grad")), model.Store.GradientsOf(View(model, name + ".bias")), name + ".bias_grad");
        }
        comparison.Report(output);
    }

    private static ParameterView View(Model model, string name) => model.Store.Parameters.Single(view => view.Name == name);
}
