namespace DistributedTrainer.Numerics.Kernels;

/// <summary>Single-precision matrix multiply, row-major, for every transpose combination.</summary>
public static class Gemm
{
    /// <summary>
    /// c (M, N) = op(a) (M, K) · op(b) (K, N), or c += ... when <paramref name="accumulate"/>.
    /// a is stored (M, K), or (K, M) when <paramref name="transposeA"/>; b is stored (K, N), or (N, K) when
    /// <paramref name="transposeB"/>. Results do not depend on <see cref="ComputeThreads.Count"/>.
    /// </summary>
    public static void Multiply(Span<float> c, ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k,
        bool transposeA = false, bool transposeB = false, bool accumulate = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (c.Length < m * n || a.Length < m * k || b.Length < k * n)
        {
            throw new ArgumentException($"Gemm({m}x{n}x{k}) got c[{c.Length}], a[{a.Length}], b[{b.Length}].");
        }
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0f;
                for (int p = 0; p < k; p++)
                {
                    float left = transposeA ? a[p * m + i] : a[i * k + p];
                    float right = transposeB ? b[j * k + p] : b[p * n + j];
                    sum += left * right;
                }
                c[i * n + j] = accumulate ? c[i * n + j] + sum : sum;
            }
        }
    }
}
