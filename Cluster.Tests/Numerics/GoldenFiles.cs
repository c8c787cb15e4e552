using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace DistributedTrainer.Tests.Numerics;

/// <summary>
/// Reads the PyTorch reference files written by Cluster.Tests/Golden/generate_golden.py and compares tensors
/// with a tolerance, printing the largest differences.
/// </summary>
internal static class GoldenFiles
{
    /// <summary>Relative tolerance of golden comparisons.</summary>
    public const double Relative = 1e-5;

    /// <summary>Absolute tolerance of golden comparisons (for values near zero).</summary>
    public const double Absolute = 1e-6;

    public static JsonElement Load(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", name)));
        return document.RootElement.Clone();
    }

    public static float[] Floats(JsonElement array) => [.. array.EnumerateArray().Select(value => value.GetSingle())];

    public static double[] Doubles(JsonElement array) => [.. array.EnumerateArray().Select(value => value.GetDouble())];

    /// <summary>The element of <paramref name="configs"/> whose "name" is <paramref name="name"/>.</summary>
    public static JsonElement Named(JsonElement configs, string name) =>
        configs.EnumerateArray().Single(config => config.GetProperty("name").GetString() == name);

    /// <summary>
    /// Tracks the largest absolute and relative difference over many comparisons and the first failure; an
    /// element fails when |actual - expected| exceeds absolute + relative · |expected| (defaults
    /// <see cref="Absolute"/> and <see cref="Relative"/>).
    /// </summary>
    public sealed class Comparison(string label, double relative = Relative, double absolute = Absolute)
    {
        public double MaxAbsolute { get; private set; }

        public double MaxRelative { get; private set; }

        public string? FirstFailure { get; private set; }

        public void Add(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, string where)
        {
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
            {
                double difference = Math.Abs(actual[i] - expected[i]);
                MaxAbsolute = Math.Max(MaxAbsolute, difference);
                if (expected[i] != 0)
                {
                    MaxRelative = Math.Max(MaxRelative, difference / Math.Abs(expected[i]));
                }
                if (!(difference <= absolute + (relative * Math.Abs(expected[i]))))
                {
                    FirstFailure ??= $"{label} {where}[{i}]: expected {expected[i]:R}, got {actual[i]:R}";
                }
            }
        }

        public void Add(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string where) =>
            Add(Widen(expected), Widen(actual), where);

        private static double[] Widen(ReadOnlySpan<float> values)
        {
            double[] wide = new double[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                wide[i] = values[i];
            }
            return wide;
        }

        /// <summary>Prints the largest differences and fails with the first element out of tolerance.</summary>
        public void Report(ITestOutputHelper output)
        {
            output.WriteLine($"{label}: max |diff| {MaxAbsolute:E3}, max relative diff {MaxRelative:E3}");
            Assert.True(FirstFailure is null, FirstFailure);
        }
    }
}
