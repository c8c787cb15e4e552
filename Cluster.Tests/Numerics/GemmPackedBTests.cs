using DistributedTrainer.Numerics.Kernels;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class GemmPackedBTests
{
    private const int Seed = 20261205;

    public static TheoryData<string, bool, bool> Variants()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (GemmInstructionSet set in GemmInstructionSets.Supported)
        {
            foreach (bool transposeA in new[] { false, true })
            {
                foreach (bool transposeB in new[] { false, true })
                {
                    data.Add(set.ToString(), transposeA, transposeB);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Multiply_PackedOnce_IsBitwiseTheCallWithBItself(string setName, bool transposeA, bool transposeB)
    {
        var set = Enum.Parse<GemmInstructionSet>(setName);
        var random = new Random(Seed);
        using var packed = new GemmPackedB();
        // The reference MLP's first layer on a micro-shard; edges of every kind (partial panels, k not a multiple of the
        // k block, the skinny path at 10 and 16 columns, one row); and more columns than one column block holds (3072).
        int[][] shapes = [[32, 256, 784], [7, 19, 5], [9, 10, 300], [5, 16, 33], [1, 33, 1], [17, 3100, 40]];
        foreach (int[] shape in shapes)
        {
            (int m, int n, int k) = (shape[0], shape[1], shape[2]);
            float[] b = Values(random, k * n);
            packed.Pack(set, b, n, k, transposeB);
            // Two products with one packing, as the micro-shards of a step share it, each on one and on three threads.
            for (int product = 0; product < 2; product++)
            {
                float[] a = Values(random, m * k);
                foreach (bool accumulate in new[] { false, true })
                {
                    float[] start = Values(random, m * n);
                    foreach (int threads in new[] { 1, 3 })
                    {
                        float[] expected = (float[])start.Clone();
                        float[] actual = (float[])start.Clone();
                        Gemm.Multiply(set, threads, expected, a, b, m, n, k, transposeA, transposeB, accumulate);
                        Gemm.Multiply(threads, actual, a, packed, m, transposeA, accumulate);
                        Assert.True(expected.AsSpan().SequenceEqual(actual),
                            $"{set} {m}x{n}x{k}, transposeA {transposeA}, transposeB {transposeB}, accumulate {accumulate}, {threads} thread(s): " +
                            $"first difference at {expected.AsSpan().CommonPrefixLength(actual)}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Multiply_BeforeAnyPacking_ThrowsAndLeavesCAlone()
    {
        using var packed = new GemmPackedB();
        float[] c = [1f, 2f];

        Assert.Throws<InvalidOperationException>(() => Gemm.Multiply(c, [1f, 2f], packed, m: 2));
        Assert.Equal([1f, 2f], c);
    }

    [Fact]
    public void Multiply_AShorterThanTheProductNeeds_NamesTheSpans()
    {
        using var packed = new GemmPackedB();
        packed.Pack(Values(new Random(Seed), 6), n: 2, k: 3);
        float[] c = new float[4];

        var error = Assert.Throws<ArgumentException>(() => Gemm.Multiply(c, new float[5], packed, m: 2));

        Assert.Contains("a[5]", error.Message, StringComparison.Ordinal);
        Assert.Contains("a[6]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pack_BShorterThanItsShape_NamesB()
    {
        using var packed = new GemmPackedB();

        var error = Assert.Throws<ArgumentException>(() => packed.Pack(new float[5], n: 2, k: 3));

        Assert.Equal("b", error.ParamName);
    }

    private static float[] Values(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }
        return values;
    }
}
