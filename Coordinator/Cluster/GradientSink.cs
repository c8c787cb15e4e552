using System.Buffers;
using System.Runtime.InteropServices;
using DistributedTrainer.Training;

namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// Where one worker's Step call puts its segment of the step's mean gradient: each piece is checked (whole float32
/// elements, continuing the segment in order) and copied once, from the received bytes straight into the gradient (flat
/// indices below its length) and the buffer change (the rest), while the message is read.
/// </summary>
internal sealed class GradientSink
{
    private StepGradient? _gradient;
    private long _start;
    private long _expected;
    private long _end;

    /// <summary>
    /// Takes the pieces of the segment [<paramref name="start"/>, <paramref name="end"/>) of one call; a null
    /// <paramref name="gradient"/> (a parameter sync) takes none.
    /// </summary>
    public void Begin(StepGradient? gradient, long start, long end) =>
        (_gradient, _start, _expected, _end) = (gradient, start, start, end);

    /// <summary>Lets go of the call's gradient.</summary>
    public void End() => _gradient = null;

    /// <summary>What is missing of the segment once the result came, or null when the pieces covered it.</summary>
    public string? Missing() => _expected == _end ? null : $"its gradient pieces cover [{_start}, {_expected}) of its segment [{_start}, {_end})";

    /// <summary>Copies the piece <paramref name="values"/> at <paramref name="offset"/> into the gradient.</summary>
    /// <returns>Null when taken, else why the piece does not fit the segment.</returns>
    public string? Accept(long offset, ReadOnlySequence<byte> values)
    {
        if (_gradient is null)
        {
            return "it sent a gradient piece where none was due (outside a step, or in a parameter sync)";
        }
        if (values.Length % sizeof(float) != 0)
        {
            return $"its gradient piece at {offset} holds {values.Length} bytes, not whole float32 elements";
        }
        long count = values.Length / sizeof(float);
        if (offset != _expected || _expected + count > _end)
        {
            return $"it sent {count} gradient elements at offset {offset}; expected the segment to continue at {_expected} up to {_end}";
        }
        var gradient = _gradient.Gradient;
        int at = (int)offset;
        int split = (int)Math.Clamp(gradient.Length - at, 0, count);
        values.Slice(0, split * sizeof(float)).CopyTo(MemoryMarshal.AsBytes(gradient.AsSpan(at, split)));
        if (split < count)
        {
            values.Slice(split * sizeof(float)).CopyTo(
                MemoryMarshal.AsBytes(_gradient.BufferChange.AsSpan(at + split - gradient.Length, (int)count - split)));
        }
        _expected += count;
        return null;
    }
}
