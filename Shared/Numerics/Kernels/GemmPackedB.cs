namespace DistributedTrainer.Numerics.Kernels;

/// <summary>
/// The B operand of <see cref="Gemm"/> packed once and kept, for several products with the same B: a layer's weight
/// multiplied by every micro-shard of a step. <see cref="Gemm.Multiply(Span{float}, ReadOnlySpan{float}, GemmPackedB, int, bool, bool)"/>
/// then skips the packing it would otherwise repeat for every call, and its results are bitwise those of the call
/// with B itself: the same values in the same panels, read by the same kernels in the same order.
/// </summary>
/// <remarks>
/// The layout is the one the kernels read: column panels of the micro-tile's width, each with all of K
/// (<see cref="GemmPacking.Pack"/> over the whole matrix), so that the k block starting at p of the panel holding
/// column j starts at j * K + p * width. Where the product takes the skinny path (at most 16 columns, on 256-bit
/// vectors or wider) it is that path's (K, 16).
/// </remarks>
public sealed unsafe class GemmPackedB : IDisposable
{
    private AlignedBuffer? _buffer;

    /// <summary>Columns of op(B) (and of C).</summary>
    public int N { get; private set; }

    /// <summary>Rows of op(B): the depth of the products.</summary>
    public int K { get; private set; }

    /// <summary>The instruction set whose kernels it is packed for.</summary>
    internal GemmInstructionSet Set { get; private set; }

    /// <summary>The packed panels; valid after <see cref="Pack"/>.</summary>
    internal float* Panels => _buffer!.Pointer;

    /// <summary>
    /// Packs op(<paramref name="b"/>) (<paramref name="k"/>, <paramref name="n"/>): b is stored (K, N), or (N, K) when
    /// <paramref name="transposeB"/>, as <see cref="Gemm.Multiply(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, bool, bool, bool)"/>
    /// reads it. What was packed before is replaced.
    /// </summary>
    public void Pack(ReadOnlySpan<float> b, int n, int k, bool transposeB = false) =>
        Pack(GemmInstructionSets.Best, b, n, k, transposeB);

    /// <summary>As the public overload, for the kernels of <paramref name="set"/> (tests pin it).</summary>
    internal void Pack(GemmInstructionSet set, ReadOnlySpan<float> b, int n, int k, bool transposeB = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (!GemmInstructionSets.IsSupported(set))
        {
            throw new ArgumentException($"Invalid instruction set: {set} (this machine does not accelerate it)", nameof(set));
        }
        long kn = (long)k * n;
        if (b.Length < kn)
        {
            throw new ArgumentException($"Invalid b for a packed ({k}, {n}) operand: {b.Length} elements (need at least {kn})", nameof(b));
        }
        bool skinny = GemmJob.IsSkinny(n, k, set);
        int width = skinny ? GemmSkinnyKernels.Nr : GemmJob.MicroTileColumns(set);
        long length = (long)k * ((n + width - 1) / width * width);
        if (length > int.MaxValue)
        {
            throw new ArgumentException($"Invalid size for a packed operand: ({k}, {n}) pads to {length} elements, more than one buffer holds", nameof(b));
        }
        if (_buffer is null || _buffer.Length < length)
        {
            _buffer?.Dispose();
            _buffer = new AlignedBuffer((int)length);
        }
        (N, K, Set) = (n, k, set);
        fixed (float* source = b)
        {
            // Element (p, j) of op(B) is at b[j * lane + p * step], the strides GemmOperands gives the unpacked call.
            GemmPacking.Pack(_buffer.Pointer, source, transposeB ? k : 1, transposeB ? 1 : n, n, k, width);
        }
    }

    public void Dispose()
    {
        _buffer?.Dispose();
        _buffer = null;
        (N, K) = (0, 0);
    }
}
