namespace DistributedTrainer.Numerics.Kernels;

/// <summary>
/// Per-thread packing buffers, kept between calls and grown on demand, so a GEMM in steady state allocates
/// nothing. Each thread packs into its own buffers; only the skinny path's packed B is read by other threads,
/// and only while the thread that packed it waits for them.
/// </summary>
internal sealed unsafe class GemmWorkspace
{
    [ThreadStatic]
    private static GemmWorkspace? t_current;

    private AlignedBuffer? _packedA;
    private AlignedBuffer? _packedB;
    private AlignedBuffer? _skinnyB;

    /// <summary>This thread's buffers.</summary>
    public static GemmWorkspace Current => t_current ??= new GemmWorkspace();

    /// <summary>Room for at least <paramref name="length"/> floats of packed A panels.</summary>
    public float* PackedA(int length) => Ensure(ref _packedA, length);

    /// <summary>Room for at least <paramref name="length"/> floats of packed B panels.</summary>
    public float* PackedB(int length) => Ensure(ref _packedB, length);

    /// <summary>Room for the skinny path's packed op(B) (k, 16), shared read-only with helper threads.</summary>
    public float* SkinnyB(int length) => Ensure(ref _skinnyB, length);

    private static float* Ensure(ref AlignedBuffer? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer?.Dispose();
            // Grow by half again so a slowly rising size does not reallocate every call.
            buffer = new AlignedBuffer(Math.Max(length, (buffer?.Length ?? 0) * 3 / 2));
        }
        return buffer.Pointer;
    }
}
