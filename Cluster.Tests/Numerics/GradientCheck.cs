using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

/// <summary>
/// Finite-difference gradient checks. The objective is L = Σ output ⊙ R for a fixed random R, summed in double;
/// each derivative is a central difference (L(v + ε) - L(v - ε)) / (2ε) over the float forward pass, divided by
/// the step actually taken after rounding v ± ε to float. With values of order 1 and ε = 1e-2 the rounding and
/// truncation errors both stay near 1e-4, well inside the default tolerance of 1e-3 + 1e-2 · |gradient|.
/// Inputs of kinked functions (ReLU) must stay farther than ε from the kink; see <see cref="AwayFromZero"/>.
/// </summary>
internal static class GradientCheck
{
    /// <summary>Gives the current span of the values being perturbed (spans cannot be captured).</summary>
    public delegate Span<float> ValuesAccessor();

    /// <summary>
    /// Checks the input gradient and every parameter gradient of <paramref name="model"/> at
    /// <paramref name="input"/> (batch, InputSize) for L = Σ output ⊙ R, R uniform in [-1, 1) from
    /// <paramref name="seed"/>. Every forward pass uses <paramref name="context"/> unchanged, so masks stay fixed.
    /// </summary>
    public static void AssertModelGradients(Model model, StepContext context, float[] input, int batch, int seed = 1234,
        double epsilon = 1e-2, double relativeTolerance = 1e-2, double absoluteTolerance = 1e-3)
    {
        float[] weights = RandomValues(batch * model.OutputSize, seed);
        double Objective()
        {
            ReadOnlySpan<float> output = model.Forward(context, input, batch);
            double sum = 0;
            for (int i = 0; i < weights.Length; i++)
            {
                sum += (double)output[i] * weights[i];
            }
            return sum;
        }

        model.ZeroGradients();
        model.Forward(context, input, batch);
        float[] inputGradient = new float[batch * model.InputSize];
        model.Backward(context, weights, inputGradient, batch);
        float[] parameterGradient = model.Store.Gradients.ToArray();

        AssertMatches("input", () => input.AsSpan(0, batch * model.InputSize), inputGradient, Objective,
            epsilon, relativeTolerance, absoluteTolerance);
        foreach (var view in model.Store.Parameters)
        {
            AssertMatches(view.Name, () => model.Store.ValuesOf(view), parameterGradient.AsSpan(view.Offset, view.Length),
                Objective, epsilon, relativeTolerance, absoluteTolerance);
        }
    }

    /// <summary>
    /// Asserts analytic[i] ≈ d objective / d values[i] for every i by central differences, naming the worst
    /// element when one is off by more than absolute + relative · max(|analytic|, |numeric|).
    /// </summary>
    public static void AssertMatches(string name, ValuesAccessor values, ReadOnlySpan<float> analytic,
        Func<double> objective, double epsilon = 1e-2, double relativeTolerance = 1e-2, double absoluteTolerance = 1e-3)
    {
        Assert.Equal(values().Length, analytic.Length);
        double worstRatio = 0;
        string worst = "";
        for (int i = 0; i < analytic.Length; i++)
        {
            float original = values()[i];
            float plus = (float)(original + epsilon), minus = (float)(original - epsilon);
            values()[i] = plus;
            double up = objective();
            values()[i] = minus;
            double down = objective();
            values()[i] = original;
            double numeric = (up - down) / ((double)plus - minus);
            double allowed = absoluteTolerance + relativeTolerance * Math.Max(Math.Abs(numeric), Math.Abs(analytic[i]));
            double ratio = Math.Abs(numeric - analytic[i]) / allowed;
            if (ratio > worstRatio)
            {
                worstRatio = ratio;
                worst = $"{name}[{i}]: analytic {analytic[i]:G6}, central difference {numeric:G6}, allowed error {allowed:G3}";
            }
        }
        Assert.True(worstRatio <= 1, $"Gradient mismatch at {worst}");
    }

    /// <summary>Asserts |expected[i] - actual[i]| ≤ tolerance everywhere, naming the largest difference.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double largest = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double difference = Math.Abs((double)expected[i] - actual[i]);
            if (double.IsNaN(difference))
            {
                difference = double.PositiveInfinity;
            }
            if (difference > largest)
            {
                largest = difference;
                at = i;
            }
        }
        Assert.True(largest <= tolerance,
            $"Largest difference {largest:G4} at [{at}]: expected {expected[Math.Max(at, 0)]}, got {actual[Math.Max(at, 0)]}.");
    }

    /// <summary>Uniform values in [low, high) from a fixed seed.</summary>
    public static float[] RandomValues(int count, int seed, float low = -1f, float high = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = low + (high - low) * random.NextSingle();
        }
        return values;
    }

    /// <summary>Values with magnitude in [0.2, 1) and random sign: central differences never cross a kink at 0.</summary>
    public static float[] AwayFromZero(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            float magnitude = 0.2f + 0.8f * random.NextSingle();
            values[i] = random.Next(2) == 0 ? magnitude : -magnitude;
        }
        return values;
    }

    /// <summary>A training-mode context for step <paramref name="step"/> whose rows are samples 0..batch-1.</summary>
    public static StepContext Training(int batch, long step = 3, ulong seed = 99) =>
        new() { Training = true, Seed = seed, Step = step, SampleIds = [.. Enumerable.Range(0, batch).Select(i => (long)i)] };

    /// <summary>An evaluation-mode context.</summary>
    public static StepContext Evaluation() => new() { Training = false };
}
