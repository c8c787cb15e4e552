using System.Buffers;

namespace DistributedTrainer.ClusterApi;

/// <summary>
/// Reads protobuf wire-format fields straight from received bytes, for the few messages read without a parsed
/// message object so that their large <c>bytes</c> field is not copied into a fresh array (the worker's ring
/// chunks, the coordinator's gradient pieces). Each method returns false, and says nothing else, when the bytes
/// run out before the field ends; callers name the field.
/// </summary>
public static class WireReader
{
    /// <summary>Wire type of varint fields (int32, int64, enum, bool).</summary>
    public const int Varint = 0;

    /// <summary>Wire type of length-delimited fields (string, bytes, embedded messages).</summary>
    public const int LengthDelimited = 2;

    /// <summary>Reads a base-128 varint of at most 10 bytes.</summary>
    public static bool TryReadVarint(ref SequenceReader<byte> reader, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (!reader.TryRead(out byte b))
            {
                return false;
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads a length prefix and returns the bytes it covers, where they lie (not copied).</summary>
    public static bool TryReadLengthDelimited(ref SequenceReader<byte> reader, out ReadOnlySequence<byte> value)
    {
        value = default;
        if (!TryReadVarint(ref reader, out ulong length) || length > (ulong)reader.Remaining)
        {
            return false;
        }

        value = reader.UnreadSequence.Slice(0, (long)length);
        reader.Advance((long)length);
        return true;
    }

    /// <summary>Skips the value of a field whose <paramref name="tag"/> was just read.</summary>
    /// <returns>Null when skipped, else what is wrong with the value.</returns>
    public static string? SkipField(ref SequenceReader<byte> reader, ulong tag) => (tag & 7) switch
    {
        0 => TryReadVarint(ref reader, out _) ? null : "truncated varint",
        1 => TryAdvance(ref reader, 8) ? null : "truncated fixed64",
        2 => TryReadLengthDelimited(ref reader, out _) ? null : "length runs past the end",
        5 => TryAdvance(ref reader, 4) ? null : "truncated fixed32",
        _ => $"wire type {tag & 7} is not supported",
    };

    private static bool TryAdvance(ref SequenceReader<byte> reader, int count)
    {
        if (reader.Remaining < count)
        {
            return false;
        }

        reader.Advance(count);
        return true;
    }
}
