using DistributedTrainer.Numerics;
using DistributedTrainer.Numerics.Kernels;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class GemmTests
{
    private const int Seed = 20261122;

    /// <summary>
    /// Every transpose combination with accumulate on and off for the fastest instruction set (the one public
    /// calls use); for each slower set this machine also runs, every transpose combination once, accumulate
    /// alternating, to keep the class within a few seconds.
    /// </summary>
    public static TheoryData<string, bool, bool, bool> Variants()
    {
        var data = new TheoryData<string, bool, bool, bool>();
        foreach (GemmInstructionSet set in GemmInstructionSets.Supported)
        {
            bool best = set == GemmInstructionSets.Best;
            foreach (bool transposeA in new[] { false, true })
            {
                foreach (bool transposeB in new[] { false, true })
                {
                    if (best || transposeA == transposeB)
                    {
                        data.Add(set.ToString(), transposeA, transposeB, false);
                    }
                    if (best || transposeA != transposeB)
                    {
                        data.Add(set.ToString(), transposeA, transposeB, true);
                    }
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Multiply_EveryRowCountUpTo256_MatchesScalarLoop(string set, bool transposeA, bool transposeB,
        bool accumulate)
    {
        var random = new Random(Seed);
        for (int m = 0; m <= 256; m++)
        {
            AssertMatchesReference(random, Parse(set), m, 21, 5, transposeA, transposeB, accumulate);
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Multiply_EveryColumnCountUpTo256_MatchesScalarLoop(string set, bool transposeA, bool transposeB,
        bool accumulate)
    {
        var random = new Random(Seed);
        for (int n = 0; n <= 256; n++)
        {
            AssertMatchesReference(random, Parse(set), 7, n, 5, transposeA, transposeB, accumulate);
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Multiply_EveryDepthUpTo256_MatchesScalarLoop(string set, bool transposeA, bool transposeB,
        bool accumulate)
    {
        var random = new Random(Seed);
        for (int k = 0; k <= 256; k++)
        {
            // 19 columns takes the packed path, 10 the skinny one.
            AssertMatchesReference(random, Parse(set), 9, 19, k, transposeA, transposeB, accumulate);
            AssertMatchesReference(random, Parse(set), 9, 10, k, transposeA, transposeB, accumulate);
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Multiply_OddShapes_MatchesScalarLoop(string set, bool transposeA, bool transposeB, bool accumulate)
    {
        // Edges of every tile size, several k blocks (k > 384), several row blocks (m > 128), several column
        // blocks (n > 3072), and the MLP's 10-output shapes at batch 64.
        int[][] shapes =
        [
            [1, 1, 1], [7, 13, 5], [65, 33, 17], [129, 257, 3], [17, 40, 785], [50, 10, 800], [33, 16, 1],
            [200, 17, 200], [3, 3100, 5], [300, 1, 9], [1, 300, 9], [64, 10, 128], [10, 128, 64], [64, 128, 10],
        ];
        var random = new Random(Seed);
        foreach (int[] shape in shapes)
        {
            AssertMatchesReference(random, Parse(set), shape[0], shape[1], shape[2], transposeA, transposeB, accumulate);
        }
    }

    [Theory]
    [InlineData(0, 5, 7)]
    [InlineData(5, 0, 7)]
    [InlineData(0, 0, 0)]
    public void Multiply_EmptyOutput_LeavesSpansUntouched(int m, int n, int k)
    {
        float[] c = [42f, 43f];

        Gemm.Multiply(c, new float[m * k], new float[k * n], m, n, k);

        Assert.Equal([42f, 43f], c);
    }

    [Fact]
    public void Multiply_ZeroDepth_WritesZeros()
    {
        float[] c = [1f, 2f, 3f, 4f, 5f, 6f];

        Gemm.Multiply(c, [], [], 2, 3, 0);

        Assert.All(c, value => Assert.Equal(0f, value));
    }

    [Fact]
    public void Multiply_ZeroDepthAccumulating_LeavesOutputUnchanged()
    {
        float[] c = [1f, 2f, 3f, 4f, 5f, 6f];

        Gemm.Multiply(c, [], [], 2, 3, 0, accumulate: true);

        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], c);
    }

    /// <summary>
    /// Shapes above the parallel threshold, split along rows, along columns, and skinny: the MLP's at batch 64
    /// and 512 with the fastest kernels, two smaller ones with every instruction set.
    /// </summary>
    public static TheoryData<string, int, int, int, bool, bool> ParallelShapes()
    {
        var data = new TheoryData<string, int, int, int, bool, bool>();
        foreach (GemmInstructionSet set in GemmInstructionSets.Supported)
        {
            data.Add(set.ToString(), 100, 300, 70, false, false);
            data.Add(set.ToString(), 300, 100, 70, true, true);
        }
        string best = GemmInstructionSets.Best.ToString();
        data.Add(best, 512, 10, 128, false, true);
        data.Add(best, 64, 256, 784, false, true);
        data.Add(best, 256, 784, 64, true, false);
        data.Add(best, 70, 33, 900, false, false);
        return data;
    }

    [Theory]
    [MemberData(nameof(ParallelShapes))]
    public void Multiply_OneTwoOrThreeThreads_BitwiseIdentical(string set, int m, int n, int k, bool transposeA,
        bool transposeB)
    {
        var random = new Random(Seed);
        float[] a = RandomValues(random, m * k), b = RandomValues(random, k * n), start = RandomValues(random, m * n);
        float[][] results = new float[3][];

        for (int threads = 1; threads <= 3; threads++)
        {
            results[threads - 1] = (float[])start.Clone();
            Gemm.Multiply(Parse(set), threads, results[threads - 1], a, b, m, n, k, transposeA, transposeB,
                accumulate: true);
        }

        Assert.Equal(results[0], results[1]);
        Assert.Equal(results[0], results[2]);
    }

    [Theory]
    [MemberData(nameof(ParallelShapes))]
    public void Multiply_ThreeThreads_MatchesScalarLoop(string set, int m, int n, int k, bool transposeA, bool transposeB)
    {
        var random = new Random(Seed);
        float[] a = RandomValues(random, m * k), b = RandomValues(random, k * n), start = RandomValues(random, m * n);
        float[] c = (float[])start.Clone();

        Gemm.Multiply(Parse(set), 3, c, a, b, m, n, k, transposeA, transposeB, accumulate: true);

        AssertClose(Reference(a, b, start, m, n, k, transposeA, transposeB, accumulate: true), c, Tolerance(k, 1f, 1f, 1f));
    }

    [Fact]
    public void Multiply_PublicOverload_MatchesScalarLoop()
    {
        var random = new Random(Seed);
        float[] a = RandomValues(random, 64 * 784), b = RandomValues(random, 256 * 784), c = new float[64 * 256];

        Gemm.Multiply(c, a, b, 64, 256, 784, transposeB: true);

        AssertClose(Reference(a, b, new float[c.Length], 64, 256, 784, false, true, false), c, Tolerance(784, 1f, 1f, 0f));
    }

    [Fact]
    public void Multiply_NegativeSize_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(new float[1], new float[1], new float[1], -1, 1, 1));
    }

    [Fact]
    public void Multiply_ShortSpan_ThrowsNamingShapes()
    {
        var error = Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[6], new float[5], new float[6], 2, 3, 3));

        Assert.Contains("a[5]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Multiply_OutputOverlapsInput_Throws()
    {
        float[] shared = new float[8];

        Assert.Throws<ArgumentException>(() => Gemm.Multiply(shared.AsSpan(0, 4), shared.AsSpan(2, 4), new float[4], 2, 2, 2));
    }

    private static GemmInstructionSet Parse(string set) => Enum.Parse<GemmInstructionSet>(set);

    private static void AssertMatchesReference(Random random, GemmInstructionSet set, int m, int n, int k,
        bool transposeA, bool transposeB, bool accumulate)
    {
        float[] a = RandomValues(random, m * k), b = RandomValues(random, k * n), start = RandomValues(random, m * n);
        float[] c = (float[])start.Clone();

        Gemm.Multiply(set, 2, c, a, b, m, n, k, transposeA, transposeB, accumulate);

        double[] expected = Reference(a, b, start, m, n, k, transposeA, transposeB, accumulate);
        AssertClose(expected, c, Tolerance(k, 1f, 1f, accumulate ? 1f : 0f), $"{set} {m}x{n}x{k} tA={transposeA} tB={transposeB} acc={accumulate}");
    }

    // Rounding error of a float dot product grows about as sqrt(k) times the largest product; the start value of
    // C adds one rounding of its own when accumulating.
    private static double Tolerance(int k, float maxA, float maxB, float maxC) =>
        (4e-6 * Math.Sqrt(Math.Max(k, 1)) * maxA * maxB) + (1e-6 * maxC);

    private static double[] Reference(float[] a, float[] b, float[] start, int m, int n, int k, bool transposeA,
        bool transposeB, bool accumulate)
    {
        // Element (i, p) of op(a) is a[i * aRow + p * aStep]; element (p, j) of op(b) is b[j * bColumn + p * bStep].
        int aRow = transposeA ? 1 : k, aStep = transposeA ? m : 1;
        int bColumn = transposeB ? k : 1, bStep = transposeB ? 1 : n;
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? start[(i * n) + j] : 0.0;
                for (int p = 0, at = i * aRow, bt = j * bColumn; p < k; p++, at += aStep, bt += bStep)
                {
                    sum += (double)a[at] * b[bt];
                }
                c[(i * n) + j] = sum;
            }
        }
        return c;
    }

    private static void AssertClose(double[] expected, float[] actual, double tolerance, string context = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double difference = Math.Abs(expected[i] - actual[i]);
            if (difference > worst || double.IsNaN(difference))
            {
                worst = difference;
                worstAt = i;
                if (double.IsNaN(difference))
                {
                    break;
                }
            }
        }
        if (!(worst <= tolerance))
        {
            Assert.Fail($"{context}: largest difference {worst:G3} at {worstAt} (expected {expected[worstAt]}, " +
                $"got {actual[worstAt]}), tolerance {tolerance:G3}");
        }
    }

    private static float[] RandomValues(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (random.NextSingle() * 2f) - 1f;
        }
        return values;
    }
}
