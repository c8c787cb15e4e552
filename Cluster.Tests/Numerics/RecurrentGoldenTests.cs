using System.Text.Json;
using DistributedTrainer.Numerics.Layers;
using Xunit;
using Xunit.Abstractions;

namespace DistributedTrainer.Tests.Numerics;

/// <summary>
/// Replays Golden/recurrent.json (Golden/generate_recurrent_golden.py: PyTorch nn.RNN, nn.LSTM and nn.GRU in
/// float64) through <see cref="Recurrent"/> in float32: the output, the input gradient and every parameter
/// gradient must match, which pins PyTorch's equations, gate order, parameter layout and names.
/// </summary>
public sealed class RecurrentGoldenTests(ITestOutputHelper output)
{
    // float32 against a float64 reference through up to 2 layers x 5 steps x 2 directions.
    private const double Relative = 1e-4;
    private const double Absolute = 2e-6;

    private static readonly JsonElement Golden = GoldenFiles.Load("recurrent.json");

    public static TheoryData<string> Cases() =>
        new(Golden.GetProperty("cases").EnumerateArray().Select(item => item.GetProperty("name").GetString()!));

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndBackward_PyTorchCase_MatchEveryTensor(string name)
    {
        var golden = GoldenFiles.Named(Golden.GetProperty("cases"), name);
        int batch = Golden.GetProperty("batch").GetInt32(), steps = Golden.GetProperty("steps").GetInt32();
        int stepSize = Golden.GetProperty("input_size").GetInt32(), hidden = Golden.GetProperty("hidden_size").GetInt32();
        var kind = golden.GetProperty("kind").GetString() switch
        {
            "RNN_TANH" => RecurrentKind.RnnTanh,
            "RNN_RELU" => RecurrentKind.RnnRelu,
            "LSTM" => RecurrentKind.Lstm,
            _ => RecurrentKind.Gru,
        };
        var outputKind = Enum.Parse<RecurrentOutput>(golden.GetProperty("output").GetString()!, ignoreCase: true);
        using var model = new Model([new Recurrent("rnn", steps * stepSize, kind, stepSize, hidden,
            golden.GetProperty("num_layers").GetInt32(), golden.GetProperty("bidirectional").GetBoolean(), outputKind)], batch);
        var parameters = golden.GetProperty("parameters").EnumerateArray().ToArray();
        string[] names = [.. golden.GetProperty("parameter_names").EnumerateArray().Select(item => "rnn." + item.GetString())];
        Assert.Equal(names, model.Store.Parameters.Select(view => view.Name));
        for (int i = 0; i < parameters.Length; i++)
        {
            GoldenFiles.Floats(parameters[i]).CopyTo(model.Store.ValuesOf(model.Store.Parameters[i]));
        }
        float[] input = GoldenFiles.Floats(golden.GetProperty("input"));
        float[] inputGradient = new float[input.Length];
        var context = GradientCheck.Training(batch);
        var comparison = new GoldenFiles.Comparison(name, Relative, Absolute);

        model.ZeroGradients();
        comparison.Add(GoldenFiles.Floats(golden.GetProperty("result")), model.Forward(context, input, batch), "output");
        model.Backward(context, GoldenFiles.Floats(golden.GetProperty("output_weights")), inputGradient, batch);

        comparison.Add(GoldenFiles.Floats(golden.GetProperty("input_grad")), inputGradient, "input_grad");
        var gradients = golden.GetProperty("parameter_grads").EnumerateArray().ToArray();
        for (int i = 0; i < gradients.Length; i++)
        {
            comparison.Add(GoldenFiles.Floats(gradients[i]), model.Store.GradientsOf(model.Store.Parameters[i]), names[i] + ".grad");
        }
        comparison.Report(output);
    }
}
