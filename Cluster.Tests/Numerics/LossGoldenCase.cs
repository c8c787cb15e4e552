using System.Text.Json;
using DistributedTrainer.Numerics.Losses;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

/// <summary>One case of Golden/losses.json, written by Golden/losses.py from PyTorch in float64.</summary>
internal sealed record LossGoldenCase(string Name, int Batch, int Classes, float[] Outputs, float[] Targets, double Sum, double[] Gradient)
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "losses.json"))));

    public static LossGoldenCase Load(string name)
    {
        foreach (var element in Document.Value.RootElement.GetProperty("cases").EnumerateArray())
        {
            if (element.GetProperty("name").GetString() == name)
            {
                return new LossGoldenCase(
                    name,
                    element.GetProperty("batch").GetInt32(),
                    element.GetProperty("classes").GetInt32(),
                    element.GetProperty("outputs").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray(),
                    element.GetProperty("targets").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray(),
                    element.GetProperty("sum").GetDouble(),
                    element.GetProperty("gradient").EnumerateArray().Select(v => v.GetDouble()).ToArray());
            }
        }
        throw new InvalidDataException($"Golden case '{name}' is not in losses.json; rerun Golden/losses.py.");
    }

    /// <summary>Runs <paramref name="loss"/> on the case and compares the sum and every gradient element.</summary>
    public void AssertMatches(Loss loss)
    {
        var gradient = new float[Outputs.Length];

        double sum = loss.Compute(gradient, Outputs, Targets, Batch, Classes);

        double sumError = Math.Abs(sum - Sum) / Math.Max(1.0, Math.Abs(Sum));
        double worst = 0;
        int worstIndex = 0;
        for (int i = 0; i < Gradient.Length; i++)
        {
            double error = Math.Abs(gradient[i] - Gradient[i]) / Math.Max(1.0, Math.Abs(Gradient[i]));
            if (error > worst)
            {
                worst = error;
                worstIndex = i;
            }
        }
        Assert.True(sumError <= 1e-6 && worst <= 1e-6,
            $"{Name}: sum {sum} vs PyTorch {Sum} (scaled difference {sumError:E2}); largest gradient difference {worst:E2} at {worstIndex}: {gradient[worstIndex]} vs {Gradient[worstIndex]}.");
    }
}
