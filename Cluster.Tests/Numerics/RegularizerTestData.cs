using DistributedTrainer.Numerics.Layers;

namespace DistributedTrainer.Tests.Numerics;

/// <summary>A small model layout shared by the regularizer tests: a weight, a bias, a scale and a frozen weight.</summary>
internal static class RegularizerTestData
{
    /// <summary>weight [0, 4), bias [4, 6), scale [6, 7).</summary>
    public static readonly ParameterView[] Views =
    [
        new("fc.weight", 0, [2, 2], ParameterRole.Weight, "fc"),
        new("fc.bias", 4, [2], ParameterRole.Bias, "fc"),
        new("norm.weight", 6, [1], ParameterRole.Scale, "norm"),
    ];

    /// <summary>Values for <see cref="Views"/>: weights 1, −2, 0, 3; bias 5, −5; scale 4.</summary>
    public static float[] Parameters() => [1f, -2f, 0f, 3f, 5f, -5f, 4f];

    /// <summary>Random weights kept at least 0.05 from zero, where |w| is smooth for central differences.</summary>
    public static float[] AwayFromZero(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => (float)((random.Next(2) == 0 ? -1 : 1) * (0.05 + random.NextDouble())))
            .ToArray();
    }
}
