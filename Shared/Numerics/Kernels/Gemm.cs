namespace DistributedTrainer.Numerics.Kernels;

/// <summary>Single-precision matrix multiply, row-major, for every transpose combination.</summary>
/// <remarks>
/// Packed and cache-blocked (BLIS style) with a register-blocked micro-kernel of the widest vectors the machine
/// accelerates (512, 256 or 128 bits, else scalar), a skinny path for C with at most 16 columns, and up to
/// <see cref="ComputeThreads.Count"/> threads over tiles of C. Each element of C is computed by one thread in a
/// fixed k order, so results are bitwise identical for every thread count (not across instruction sets).
/// </remarks>
public static class Gemm
{
    /// <summary>
    /// c (M, N) = op(a) (M, K) · op(b) (K, N), or c += ... when <paramref name="accumulate"/>.
    /// a is stored (M, K), or (K, M) when <paramref name="transposeA"/>; b is stored (K, N), or (N, K) when
    /// <paramref name="transposeB"/>. Results do not depend on <see cref="ComputeThreads.Count"/>, read once per
    /// call (a thread that is itself one of several parallel workers uses only its share). Only the first M·N, M·K and K·N elements of the spans are used; c must not overlap a or b.
    /// Allocates nothing in steady state (packing buffers are per thread and kept).
    /// </summary>
    public static void Multiply(Span<float> c, ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k,
        bool transposeA = false, bool transposeB = false, bool accumulate = false) =>
        Multiply(GemmInstructionSets.Best, ComputeThreads.ForCurrentThread, c, a, b, m, n, k, transposeA, transposeB, accumulate);

    /// <summary>
    /// c (M, N) = op(a) (M, K) · op(b) (K, N), or c += ... when <paramref name="accumulate"/>, with op(b) packed
    /// beforehand (<see cref="GemmPackedB.Pack"/>, which gives N and K): bitwise the result of the call with b itself.
    /// </summary>
    public static void Multiply(Span<float> c, ReadOnlySpan<float> a, GemmPackedB b, int m, bool transposeA = false,
        bool accumulate = false) =>
        Multiply(ComputeThreads.ForCurrentThread, c, a, b, m, transposeA, accumulate);

    /// <summary>As the public overload with a packed b, with the thread count given (tests pin it).</summary>
    internal static unsafe void Multiply(int threads, Span<float> c, ReadOnlySpan<float> a, GemmPackedB b, int m,
        bool transposeA = false, bool accumulate = false)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (b.K == 0)
        {
            throw new InvalidOperationException("Invalid b: nothing is packed in it yet (GemmPackedB.Pack first)");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        int n = b.N, k = b.K;
        long mn = (long)m * n, mk = (long)m * k;
        if (c.Length < mn || a.Length < mk)
        {
            throw new ArgumentException(
                $"Invalid spans for Gemm({m}x{n}x{k}) with a packed b: c[{c.Length}], a[{a.Length}] (need at least c[{mn}], a[{mk}])");
        }
        c = c[..(int)mn];
        a = a[..(int)mk];
        if (c.Overlaps(a))
        {
            throw new ArgumentException($"Invalid c for Gemm({m}x{n}x{k}): it overlaps a (the output must not alias an input)", nameof(c));
        }
        if (mn == 0)
        {
            return;
        }
        fixed (float* cp = c, ap = a)
        {
            GemmJob.Execute(new GemmOperands(cp, ap, null, m, n, k, transposeA, transposeB: false, accumulate, b.Panels), b.Set, threads);
        }
    }

    /// <summary>As the public overload, with the instruction set and thread count given (tests pin both).</summary>
    internal static unsafe void Multiply(GemmInstructionSet set, int threads, Span<float> c, ReadOnlySpan<float> a,
        ReadOnlySpan<float> b, int m, int n, int k, bool transposeA = false, bool transposeB = false,
        bool accumulate = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (!GemmInstructionSets.IsSupported(set))
        {
            throw new ArgumentException($"Invalid instruction set: {set} (this machine does not accelerate it)", nameof(set));
        }
        long mn = (long)m * n, mk = (long)m * k, kn = (long)k * n;
        if (c.Length < mn || a.Length < mk || b.Length < kn)
        {
            throw new ArgumentException(
                $"Invalid spans for Gemm({m}x{n}x{k}): c[{c.Length}], a[{a.Length}], b[{b.Length}] " +
                $"(need at least c[{mn}], a[{mk}], b[{kn}])");
        }
        c = c[..(int)mn];
        a = a[..(int)mk];
        b = b[..(int)kn];
        if (c.Overlaps(a) || c.Overlaps(b))
        {
            throw new ArgumentException($"Invalid c for Gemm({m}x{n}x{k}): it overlaps {(c.Overlaps(a) ? "a" : "b")} (the output must not alias an input)", nameof(c));
        }
        if (mn == 0)
        {
            return;
        }
        if (k == 0)
        {
            // An empty sum: the product is all zeros.
            if (!accumulate)
            {
                c.Clear();
            }
            return;
        }
        fixed (float* cp = c, ap = a, bp = b)
        {
            GemmJob.Execute(new GemmOperands(cp, ap, bp, m, n, k, transposeA, transposeB, accumulate), set, threads);
        }
    }
}
