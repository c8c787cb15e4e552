using System.Numerics.Tensors;

namespace DistributedTrainer.Data;

/// <summary>
/// A per-feature affine rescaling, y = (x - offset) / divisor, fitted on the training split only and applied
/// unchanged to every split so validation and test data never leak into the statistics. Written as a
/// subtraction and a division (not a multiply by a reciprocal) so the values equal torchvision's x / 255 and
/// scikit-learn's (x - mean) / std bit for bit.
/// </summary>
public sealed class Normalization
{
    private readonly float[] _offset;
    private readonly float[] _divisor;

    private Normalization(NormalizationKind kind, float[] offset, float[] divisor)
    {
        Kind = kind;
        _offset = offset;
        _divisor = divisor;
    }

    /// <summary>The identity: features pass through unchanged.</summary>
    public static Normalization None { get; } = new(NormalizationKind.None, [], []);

    /// <summary>Which rescaling this is.</summary>
    public NormalizationKind Kind { get; }

    /// <summary>Per-feature value subtracted first (the mean for Standardize, 0 for Scale); empty for None.</summary>
    public ReadOnlySpan<float> Offset => _offset;

    /// <summary>Per-feature divisor (the population standard deviation, or 1 where it is 0; the maximum for Scale); empty for None.</summary>
    public ReadOnlySpan<float> Divisor => _divisor;

    /// <summary>Fits <paramref name="kind"/> on <paramref name="training"/> (the training split, not the whole file).</summary>
    public static Normalization Fit(NormalizationKind kind, Dataset training)
    {
        ArgumentNullException.ThrowIfNull(training);
        return kind switch
        {
            NormalizationKind.None => None,
            NormalizationKind.Scale => FitScale(training),
            NormalizationKind.Standardize => FitStandardize(training),
            _ => throw new ArgumentException($"Invalid normalization kind: {kind}", nameof(kind)),
        };
    }

    /// <summary>Rescales one sample's features in place: row (F).</summary>
    internal void Apply(Span<float> row)
    {
        if (Kind == NormalizationKind.None)
        {
            return;
        }
        TensorPrimitives.Subtract(row, _offset, row);
        TensorPrimitives.Divide(row, _divisor, row);
    }

    private static Normalization FitScale(Dataset training)
    {
        float maximum = training.StoresBytes ? byte.MaxValue : LargestMagnitude(training);
        var divisor = new float[training.FeatureCount];
        Array.Fill(divisor, maximum == 0f ? 1f : maximum);
        return new Normalization(NormalizationKind.Scale, new float[training.FeatureCount], divisor);
    }

    private static float LargestMagnitude(Dataset training)
    {
        var row = new float[training.FeatureCount];
        float largest = 0f;
        for (int sample = 0; sample < training.Count; sample++)
        {
            training.ReadRaw(row, sample);
            largest = Math.Max(largest, Math.Abs(TensorPrimitives.MaxMagnitude<float>(row)));
        }
        return largest;
    }

    private static Normalization FitStandardize(Dataset training)
    {
        if (training.Count == 0)
        {
            throw new ArgumentException("Cannot standardize with an empty training split", nameof(training));
        }
        var (mean, variance) = training.StoresBytes ? ByteMoments(training) : FloatMoments(training);
        int features = training.FeatureCount;
        var offset = new float[features];
        var divisor = new float[features];
        for (int f = 0; f < features; f++)
        {
            offset[f] = (float)mean[f];
            float std = (float)Math.Sqrt(variance[f]);
            divisor[f] = std == 0f ? 1f : std;
        }
        return new Normalization(NormalizationKind.Standardize, offset, divisor);
    }

    // Bytes: exact integer sums in one pass, then the population variance (n sum(x^2) - sum(x)^2) / n^2 in
    // Int128, so the subtraction that loses precision in floating point is exact here.
    private static (double[] Mean, double[] Variance) ByteMoments(Dataset training)
    {
        int features = training.FeatureCount;
        var sum = new long[features];
        var squares = new long[features];
        var row = new byte[features];
        for (int sample = 0; sample < training.Count; sample++)
        {
            training.ReadStoredBytes(row, sample);
            for (int f = 0; f < row.Length; f++)
            {
                int value = row[f];
                sum[f] += value;
                squares[f] += value * value;
            }
        }
        double n = training.Count;
        var mean = new double[features];
        var variance = new double[features];
        for (int f = 0; f < features; f++)
        {
            mean[f] = sum[f] / n;
            variance[f] = (double)(training.Count * (Int128)squares[f] - (Int128)sum[f] * sum[f]) / (n * n);
        }
        return (mean, variance);
    }

    // Floats: two passes in double, because the one-pass E[x^2] - E[x]^2 loses the variance of large, nearly
    // constant features.
    private static (double[] Mean, double[] Variance) FloatMoments(Dataset training)
    {
        int features = training.FeatureCount;
        var row = new float[features];
        var mean = new double[features];
        for (int sample = 0; sample < training.Count; sample++)
        {
            training.ReadRaw(row, sample);
            for (int f = 0; f < features; f++)
            {
                mean[f] += row[f];
            }
        }
        for (int f = 0; f < features; f++)
        {
            mean[f] /= training.Count;
        }
        var variance = new double[features];
        for (int sample = 0; sample < training.Count; sample++)
        {
            training.ReadRaw(row, sample);
            for (int f = 0; f < features; f++)
            {
                double deviation = row[f] - mean[f];
                variance[f] += deviation * deviation;
            }
        }
        for (int f = 0; f < features; f++)
        {
            variance[f] /= training.Count;
        }
        return (mean, variance);
    }
}
