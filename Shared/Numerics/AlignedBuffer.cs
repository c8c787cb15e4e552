using System.Runtime.InteropServices;

namespace DistributedTrainer.Numerics;

/// <summary>
/// A block of float32 values in native memory aligned to 64 bytes (one cache line, one AVX-512 vector), so
/// kernels never straddle a line on their first load and buffers never move under a running kernel.
/// </summary>
public sealed unsafe class AlignedBuffer : IDisposable
{
    /// <summary>Alignment of every buffer, in bytes.</summary>
    public const int Alignment = 64;

    private float* _pointer;

    /// <summary>Allocates <paramref name="length"/> floats, zeroed.</summary>
    public AlignedBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        // One byte at least: AlignedAlloc of zero bytes may return null.
        _pointer = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, length) * sizeof(float), Alignment);
        NativeMemory.Clear(_pointer, (nuint)length * sizeof(float));
    }

    /// <summary>Number of floats.</summary>
    public int Length { get; }

    /// <summary>The values; valid until <see cref="Dispose"/>.</summary>
    public Span<float> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_pointer == null, this);
            return new Span<float>(_pointer, Length);
        }
    }

    /// <summary>Raw pointer for kernels that hand work to several threads (spans cannot cross into lambdas).</summary>
    internal float* Pointer => _pointer;

    public void Dispose()
    {
        if (_pointer != null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
        }
        GC.SuppressFinalize(this);
    }

    ~AlignedBuffer() => Dispose();
}
