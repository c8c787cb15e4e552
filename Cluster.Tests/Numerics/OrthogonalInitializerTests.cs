using System.Numerics.Tensors;
using DistributedTrainer.Numerics.Initializers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class OrthogonalInitializerTests
{
    [Fact]
    public void Fill_WideMatrix_RowsAreOrthonormal()
    {
        var weights = new float[256 * 512];

        new OrthogonalInitializer().Fill(weights, 512, 256, new Random(1));

        AssertGram(weights, 256, 512, rowsOrthonormal: true, expectedDiagonal: 1.0);
    }

    [Fact]
    public void Fill_TallMatrix_ColumnsAreOrthonormal()
    {
        var weights = new float[512 * 256];

        new OrthogonalInitializer().Fill(weights, 256, 512, new Random(2));

        AssertGram(weights, 512, 256, rowsOrthonormal: false, expectedDiagonal: 1.0);
    }

    [Fact]
    public void Fill_SquareMatrixWithGain_GramIsGainSquaredTimesIdentity()
    {
        var weights = new float[64 * 64];

        new OrthogonalInitializer(2f).Fill(weights, 64, 64, new Random(3));

        AssertGram(weights, 64, 64, rowsOrthonormal: true, expectedDiagonal: 4.0);
    }

    [Fact]
    public void Fill_LargeMatrix_EntriesHaveUnitRowNormScale()
    {
        var weights = new float[256 * 512];

        new OrthogonalInitializer().Fill(weights, 512, 256, new Random(4));

        // A Haar-random unit row of length 512 has entries of mean 0 and variance 1/512.
        InitializerStatistics.AssertMoments(weights, 0, Math.Sqrt(1.0 / 512));
    }

    [Fact]
    public void Fill_SameSeed_WritesSameValues()
    {
        var first = new float[6 * 4];
        var second = new float[6 * 4];

        new OrthogonalInitializer().Fill(first, 4, 6, new Random(9));
        new OrthogonalInitializer().Fill(second, 4, 6, new Random(9));

        Assert.Equal(first, second);
    }

    [Fact]
    public void Fill_BiasVector_ThrowsMatricesOnly()
    {
        var error = Assert.Throws<ArgumentException>(() => new OrthogonalInitializer().Fill(new float[8], 8, 8, new Random(1)));

        Assert.StartsWith("Invalid destination length for orthogonal: 8 (must be fanOut 8 × fanIn 8 = 64; it fills matrices only)", error.Message);
    }

    /// <summary>Asserts W·Wᵀ (or Wᵀ·W) equals expectedDiagonal·I to float rounding, with dot products in double.</summary>
    private static void AssertGram(float[] weights, int rows, int columns, bool rowsOrthonormal, double expectedDiagonal)
    {
        int size = rowsOrthonormal ? rows : columns;
        int length = rowsOrthonormal ? columns : rows;
        // vectors (size, length): the rows of W, or the columns of W gathered into rows.
        var vectors = new double[size * length];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                vectors[rowsOrthonormal ? i * columns + j : j * rows + i] = weights[i * columns + j];
            }
        }
        double worst = 0;
        for (int a = 0; a < size; a++)
        {
            for (int b = 0; b <= a; b++)
            {
                double dot = TensorPrimitives.Dot<double>(vectors.AsSpan(a * length, length), vectors.AsSpan(b * length, length));
                worst = Math.Max(worst, Math.Abs(dot - (a == b ? expectedDiagonal : 0.0)));
            }
        }
        Assert.True(worst < 1e-5 * expectedDiagonal, $"Gram matrix differs from {expectedDiagonal}·I by up to {worst:E2}.");
    }
}
