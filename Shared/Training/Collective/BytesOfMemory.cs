using System.Buffers;
using System.Runtime.InteropServices;

namespace DistributedTrainer.Training.Collective;

/// <summary>
/// The bytes of a <see cref="Memory{T}"/> as a <see cref="Memory{T}"/> of bytes over the same storage, so that the ring
/// hands a raw piece to its transport straight from the vector instead of copying it into a send buffer first.
/// </summary>
internal sealed unsafe class BytesOfMemory<T> : MemoryManager<byte>
    where T : unmanaged
{
    private readonly Memory<T> _elements;

    public BytesOfMemory(Memory<T> elements) => _elements = elements;

    public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(_elements.Span);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        MemoryHandle elements = _elements.Pin();
        return new MemoryHandle((byte*)elements.Pointer + elementIndex, pinnable: new PinOfElements(elements));
    }

    // Each handle Pin returns releases its own pin of the elements (PinOfElements), so there is nothing to do here.
    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }

    /// <summary>Releases one pin of the elements when the byte handle that holds it is disposed.</summary>
    private sealed class PinOfElements(MemoryHandle elements) : IPinnable
    {
        private MemoryHandle _elements = elements;

        public MemoryHandle Pin(int elementIndex) => throw new NotSupportedException("A pin of the elements is not pinned again");

        public void Unpin() => _elements.Dispose();
    }
}
