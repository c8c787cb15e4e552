using System.Text.Json;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Optimizers;
using Xunit.Abstractions;

namespace DistributedTrainer.Tests.Numerics;

/// <summary>Replays a golden optimizer config: torch's gradients step by step, comparing the parameters after each step.</summary>
internal static class OptimizerGolden
{
    /// <summary>The golden problem's tensors: weight (3, 4) then bias (4).</summary>
    public static readonly IReadOnlyList<ParameterView> Views =
    [
        new("layer.weight", 0, [3, 4], ParameterRole.Weight, "layer"),
        new("layer.bias", 12, [4], ParameterRole.Bias, "layer"),
    ];

    /// <summary>
    /// Runs the config named <paramref name="name"/> in <paramref name="file"/> with the optimizer that
    /// <paramref name="create"/> builds from the config, then asserts every step's parameters are within tolerance.
    /// </summary>
    public static void Replay(string file, string name, Func<JsonElement, int, Optimizer> create, ITestOutputHelper output)
    {
        var config = GoldenFiles.Named(GoldenFiles.Load(file).GetProperty("configs"), name);
        float learningRate = config.GetProperty("learning_rate").GetSingle();
        float[] parameters = GoldenFiles.Floats(config.GetProperty("initial"));
        var optimizer = create(config, parameters.Length);
        var comparison = new GoldenFiles.Comparison(name);
        var gradients = config.GetProperty("gradients").EnumerateArray().Select(GoldenFiles.Floats).ToArray();
        var expected = config.GetProperty("parameters").EnumerateArray().Select(GoldenFiles.Floats).ToArray();
        for (int step = 0; step < gradients.Length; step++)
        {
            optimizer.Step(parameters, gradients[step], learningRate, Views);
            comparison.Add(expected[step], parameters, $"step {step + 1}");
        }
        comparison.Report(output);
    }
}
