using DistributedTrainer.Training.Collective;

namespace DistributedTrainer.Tests.Training.Collective;

/// <summary>Vectors and reference results for ring tests, shared by the in-process and gRPC suites.</summary>
internal static class RingHarness
{
    /// <summary>One vector per rank with values in ±2^40, so a plain sum over 8 ranks cannot overflow.</summary>
    public static long[][] RandomVectors(int size, int length, int seed)
    {
        var random = new Random(seed);
        var vectors = new long[size][];
        for (int r = 0; r < size; r++)
        {
            vectors[r] = new long[length];
            for (int i = 0; i < length; i++)
            {
                vectors[r][i] = random.NextInt64(-(1L << 40), 1L << 40);
            }
        }

        return vectors;
    }

    /// <summary>
    /// One vector per rank shaped like a step's gradient sums: runs of zeros, of values within int32 and of values up
    /// to ±2^40, so the reduce-scatter's pieces pack blocks at every width (and partial sums cross int32's range).
    /// </summary>
    public static long[][] GradientLikeVectors(int size, int length, int seed)
    {
        var random = new Random(seed);
        var vectors = new long[size][];
        for (int r = 0; r < size; r++)
        {
            vectors[r] = new long[length];
            int i = 0;
            while (i < length)
            {
                int kind = random.Next(5);
                for (int end = Math.Min(length, i + random.Next(1, 1000)); i < end; i++)
                {
                    vectors[r][i] = kind switch
                    {
                        0 => 0,
                        < 4 => random.NextInt64(int.MinValue, int.MaxValue + 1L),
                        _ => random.NextInt64(-(1L << 40), 1L << 40),
                    };
                }
            }
        }

        return vectors;
    }

    public static long[] PlainSum(long[][] vectors, int length)
    {
        var sum = new long[length];
        foreach (long[] vector in vectors)
        {
            for (int i = 0; i < length; i++)
            {
                sum[i] += vector[i];
            }
        }

        return sum;
    }

    public static ArraySegment<long> Segment(long[] vector, int size, int index)
    {
        (int offset, int length) = RingSegments.Range(vector.Length, size, index);
        return new ArraySegment<long>(vector, offset, length);
    }

    /// <summary>A float vector where only rank's own segment holds the reference values and the rest is NaN.</summary>
    public static float[] OwnSegmentOnly(float[] reference, int size, int rank)
    {
        float[] vector = [.. Enumerable.Repeat(float.NaN, reference.Length)];
        (int offset, int length) = RingSegments.Range(reference.Length, size, rank);
        Array.Copy(reference, offset, vector, offset, length);
        return vector;
    }

    public static float[] RandomFloats(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1) * 1e3f)];
    }
}
