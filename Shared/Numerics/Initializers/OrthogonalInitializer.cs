using System.Numerics.Tensors;

namespace DistributedTrainer.Numerics.Initializers;

/// <summary>
/// A (scaled) semi-orthogonal matrix (PyTorch <c>orthogonal_</c>, Saxe et al. 2013): the Q factor of a Gaussian
/// matrix, times gain. Rows are orthonormal when fanOut &lt;= fanIn, columns otherwise, so W·Wᵀ = gain²·I or
/// Wᵀ·W = gain²·I. Matrices only; a bias cannot be orthogonal.
/// </summary>
public sealed class OrthogonalInitializer : Initializer
{
    /// <param name="gain">Scale factor, finite and > 0; default 1.</param>
    public OrthogonalInitializer(float gain = 1f)
    {
        Gain = InitializerArguments.Positive(gain, nameof(gain));
    }

    /// <summary>Scale factor on the orthonormal matrix.</summary>
    public float Gain { get; }

    /// <inheritdoc />
    public override void Fill(Span<float> destination, int fanIn, int fanOut, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        InitializerArguments.ValidateMatrix("orthogonal", destination, fanIn, fanOut);
        int rows = fanOut;
        int columns = fanIn;
        int tall = Math.Max(rows, columns);
        int narrow = Math.Min(rows, columns);

        // q (narrow, tall): vector k is column k of a Gaussian (tall, narrow) matrix A, as PyTorch transposes a
        // wide matrix to a tall one before its QR.
        var q = new double[narrow * tall];
        RandomFill.StandardNormal(q, random);
        for (int k = 0; k < narrow; k++)
        {
            var vector = q.AsSpan(k * tall, tall);
            // Modified Gram–Schmidt, run twice ("twice is enough", Giraud et al.) so Q stays orthonormal to double
            // rounding even for 512 columns.
            for (int pass = 0; pass < 2; pass++)
            {
                for (int j = 0; j < k; j++)
                {
                    ReadOnlySpan<double> previous = q.AsSpan(j * tall, tall);
                    double projection = TensorPrimitives.Dot(previous, vector);
                    TensorPrimitives.MultiplyAdd(previous, -projection, vector, vector);
                }
            }
            TensorPrimitives.Multiply(vector, 1.0 / TensorPrimitives.Norm<double>(vector), vector);
        }

        // Gram–Schmidt yields the QR factorization whose R has a positive diagonal: exactly what PyTorch's
        // q *= sign(diag(r)) makes of LAPACK's Householder QR, which is what makes Q Haar-distributed.
        // destination (rows, columns) <- gain · Q (tall) or gain · Qᵀ (wide)
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                double value = rows <= columns ? q[i * tall + j] : q[j * tall + i];
                destination[i * columns + j] = (float)(Gain * value);
            }
        }
    }
}
