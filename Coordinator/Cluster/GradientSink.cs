using System.Buffers;
using System.Runtime.InteropServices;
using DistributedTrainer.Training;

namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// Where one worker's Step call puts its gradient segment: each piece is checked (whole int64 elements, continuing
/// the segment in order) and copied once, from the received bytes straight into the fixed-point sums (flat indices
/// below the gradient length) and buffer changes (the rest), while the message is read.
/// </summary>
internal sealed class GradientSink
{
    private FixedPointAccumulator? _gradients;
    private FixedPointAccumulator? _bufferChanges;
    private long _start;
    private long _expected;
    private long _end;

    /// <summary>Takes the pieces of the segment [<paramref name="start"/>, <paramref name="end"/>) of one call.</summary>
    public void Begin(FixedPointAccumulator gradients, FixedPointAccumulator bufferChanges, long start, long end) =>
        (_gradients, _bufferChanges, _start, _expected, _end) = (gradients, bufferChanges, start, start, end);

    /// <summary>Lets go of the call's sums.</summary>
    public void End() => (_gradients, _bufferChanges) = (null, null);

    /// <summary>What is missing of the segment once the result came, or null when the pieces covered it.</summary>
    public string? Missing() => _expected == _end ? null : $"its gradient pieces cover [{_start}, {_expected}) of its segment [{_start}, {_end})";

    /// <summary>Copies the piece <paramref name="values"/> at <paramref name="offset"/> into the sums.</summary>
    /// <returns>Null when taken, else why the piece does not fit the segment.</returns>
    public string? Accept(long offset, ReadOnlySequence<byte> values)
    {
        if (_gradients is null || _bufferChanges is null)
        {
            return "it sent a gradient piece outside a step";
        }
        if (values.Length % sizeof(long) != 0)
        {
            return $"its gradient piece at {offset} holds {values.Length} bytes, not whole int64 elements";
        }
        long count = values.Length / sizeof(long);
        if (offset != _expected || _expected + count > _end)
        {
            return $"it sent {count} gradient elements at offset {offset}; expected the segment to continue at {_expected} up to {_end}";
        }
        int at = (int)offset;
        int split = (int)Math.Clamp(_gradients.Length - at, 0, count);
        values.Slice(0, split * sizeof(long)).CopyTo(MemoryMarshal.AsBytes(_gradients.Values.Slice(at, split)));
        if (split < count)
        {
            values.Slice(split * sizeof(long)).CopyTo(
                MemoryMarshal.AsBytes(_bufferChanges.Values.Slice(at + split - _gradients.Length, (int)count - split)));
        }
        _expected += count;
        return null;
    }
}
