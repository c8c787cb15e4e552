namespace DistributedTrainer.Data.Shards;

/// <summary>The NumPy element types a shard may hold, little-endian, as NumPy names them.</summary>
public enum NpyDType
{
    /// <summary>numpy.uint8 ("|u1"): image pixels, token ids under 256, multi-hot bits.</summary>
    UInt8,

    /// <summary>numpy.float32 ("&lt;f4").</summary>
    Float32,

    /// <summary>numpy.int32 ("&lt;i4").</summary>
    Int32,

    /// <summary>numpy.int64 ("&lt;i8"): NumPy's default integer.</summary>
    Int64,
}

/// <summary>Names, sizes and descriptors of <see cref="NpyDType"/>.</summary>
public static class NpyDTypes
{
    /// <summary>The names index.json uses, as <c>str(array.dtype)</c> prints them.</summary>
    public static string Names => "uint8, float32, int32, int64";

    /// <summary>Bytes per element.</summary>
    public static int Size(this NpyDType type) => type switch
    {
        NpyDType.UInt8 => 1,
        NpyDType.Float32 or NpyDType.Int32 => 4,
        _ => 8,
    };

    /// <summary>The NumPy name ("uint8").</summary>
    public static string Name(this NpyDType type) => type switch
    {
        NpyDType.UInt8 => "uint8",
        NpyDType.Float32 => "float32",
        NpyDType.Int32 => "int32",
        _ => "int64",
    };

    /// <summary>The .npy header descriptor ("|u1", "&lt;f4").</summary>
    public static string Descriptor(this NpyDType type) => type switch
    {
        NpyDType.UInt8 => "|u1",
        NpyDType.Float32 => "<f4",
        NpyDType.Int32 => "<i4",
        _ => "<i8",
    };

    /// <summary>Whether the type holds integers (class ids must).</summary>
    public static bool IsInteger(this NpyDType type) => type != NpyDType.Float32;

    /// <summary>The type named <paramref name="name"/> in index.json; false for any other name.</summary>
    public static bool TryParseName(string? name, out NpyDType type)
    {
        foreach (var candidate in Enum.GetValues<NpyDType>())
        {
            if (candidate.Name() == name)
            {
                type = candidate;
                return true;
            }
        }
        type = default;
        return false;
    }

    /// <summary>The type of .npy descriptor <paramref name="descriptor"/>; "&lt;u1" and "=" (native, little-endian here) are accepted too.</summary>
    public static bool TryParseDescriptor(string descriptor, out NpyDType type)
    {
        string normalized = descriptor.Length == 3 && descriptor[0] is '<' or '|' or '=' ? descriptor[1..] : descriptor;
        (bool known, type) = normalized switch
        {
            "u1" => (true, NpyDType.UInt8),
            "f4" => (true, NpyDType.Float32),
            "i4" => (true, NpyDType.Int32),
            "i8" => (true, NpyDType.Int64),
            _ => (false, default),
        };
        return known;
    }
}
