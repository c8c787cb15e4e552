using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace DistributedTrainer.Checkpoints;

/// <summary>
/// Reads safetensors files (see <see cref="SafeTensorsWriter"/>), refusing anything it cannot account for:
/// a header length past the end of the file, malformed JSON, a dtype other than F32, a shape that does not
/// match its byte range, ranges that overlap, leave gaps or run past the end (truncation), and trailing bytes.
/// Every error is an <see cref="InvalidDataException"/> that names the file and the defect.
/// </summary>
public static class SafeTensorsReader
{
    /// <summary>Largest header accepted; the reference implementation's limit, so a corrupt length cannot ask for gigabytes.</summary>
    private const ulong MaxHeaderLength = 100_000_000;

    /// <summary>Reads the file at <paramref name="path"/>.</summary>
    public static SafeTensorsContent Read(string path) => Read(File.ReadAllBytes(path), path);

    /// <summary>Parses <paramref name="file"/>, the whole content of a file called <paramref name="source"/> in messages.</summary>
    public static SafeTensorsContent Read(ReadOnlySpan<byte> file, string source)
    {
        if (file.Length < 8)
        {
            throw new InvalidDataException($"{source}: truncated: {file.Length} bytes, shorter than the 8-byte header length");
        }
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > (ulong)(file.Length - 8) || headerLength > MaxHeaderLength)
        {
            throw new InvalidDataException(
                $"{source}: header length {headerLength} exceeds the {file.Length - 8} bytes that follow it (truncated or not a safetensors file)");
        }
        var header = file.Slice(8, (int)headerLength);
        var data = file[(8 + (int)headerLength)..];
        var (entries, metadata) = ParseHeader(header, source);
        CheckLayout(entries, data.Length, source);
        var tensors = new List<NamedTensor>(entries.Count);
        foreach (var entry in entries)
        {
            var bytes = data[(int)entry.Begin..(int)entry.End];
            tensors.Add(new NamedTensor(entry.Name, entry.Shape, MemoryMarshal.Cast<byte, float>(bytes).ToArray()));
        }
        return new SafeTensorsContent(tensors, metadata);
    }

    private static (List<Entry> Entries, Dictionary<string, string> Metadata) ParseHeader(ReadOnlySpan<byte> header, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header.ToArray());
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"{source}: header is not valid JSON ({error.Message})", error);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{source}: header is a JSON {document.RootElement.ValueKind}, expected an object");
            }
            var entries = new List<Entry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    throw new InvalidDataException($"{source}: header names '{property.Name}' twice");
                }
                if (property.Name == SafeTensorsWriter.MetadataKey)
                {
                    ParseMetadata(property.Value, metadata, source);
                }
                else
                {
                    entries.Add(ParseEntry(property.Name, property.Value, source));
                }
            }
            return (entries, metadata);
        }
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{source}: {SafeTensorsWriter.MetadataKey} is a JSON {value.ValueKind}, expected an object of strings");
        }
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"{source}: metadata '{item.Name}' is a JSON {item.Value.ValueKind}, expected a string");
            }
            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static Entry ParseEntry(string name, JsonElement value, string source)
    {
        string where = $"{source}: tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{where} is a JSON {value.ValueKind}, expected an object");
        }
        if (!value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String)
        {
            throw new InvalidDataException($"{where}: missing string 'dtype'");
        }
        if (dtype.GetString() != SafeTensorsWriter.Float32)
        {
            throw new InvalidDataException($"{where}: dtype '{dtype.GetString()}' is not supported (only {SafeTensorsWriter.Float32})");
        }
        var shape = ReadIntegers(value, "shape", where, int.MaxValue).Select(size => (int)size).ToArray();
        var offsets = ReadIntegers(value, "data_offsets", where, long.MaxValue);
        if (offsets.Length != 2 || offsets[0] > offsets[1])
        {
            throw new InvalidDataException($"{where}: data_offsets [{string.Join(", ", offsets)}] must be [begin, end] with begin <= end");
        }
        long bytes = ByteLength(shape, where);
        if (offsets[1] - offsets[0] != bytes)
        {
            throw new InvalidDataException(
                $"{where}: shape [{string.Join(", ", shape)}] needs {bytes} bytes but data_offsets [{offsets[0]}, {offsets[1]}] span {offsets[1] - offsets[0]}");
        }
        return new Entry(name, shape, offsets[0], offsets[1]);
    }

    private static long ByteLength(int[] shape, string where)
    {
        try
        {
            return checked(shape.Aggregate((long)sizeof(float), (product, size) => product * size));
        }
        catch (OverflowException error)
        {
            throw new InvalidDataException($"{where}: shape [{string.Join(", ", shape)}] is too large", error);
        }
    }

    private static long[] ReadIntegers(JsonElement value, string property, string where, long max)
    {
        if (!value.TryGetProperty(property, out var array) || array.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{where}: missing array '{property}'");
        }
        var result = new long[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long number) || number < 0 || number > max)
            {
                throw new InvalidDataException($"{where}: '{property}' holds {item.GetRawText()}, expected an integer in [0, {max}]");
            }
            result[i++] = number;
        }
        return result;
    }

    // The format stores tensors back to back: sorted by offset, each must start where the previous ended and
    // the last must end exactly at the end of the file.
    private static void CheckLayout(List<Entry> entries, int dataLength, string source)
    {
        long declared = entries.Count == 0 ? 0 : entries.Max(entry => entry.End);
        if (declared > dataLength)
        {
            throw new InvalidDataException($"{source}: truncated: header declares {declared} data bytes, file has {dataLength}");
        }
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        string previous = "the start of the data";
        foreach (var entry in entries)
        {
            if (entry.Begin < expected)
            {
                throw new InvalidDataException($"{source}: tensor '{entry.Name}' at [{entry.Begin}, {entry.End}) overlaps {previous}");
            }
            if (entry.Begin > expected)
            {
                throw new InvalidDataException($"{source}: {entry.Begin - expected} unaccounted bytes between {previous} and tensor '{entry.Name}'");
            }
            expected = entry.End;
            previous = $"tensor '{entry.Name}'";
        }
        if (expected != dataLength)
        {
            throw new InvalidDataException($"{source}: {dataLength - expected} trailing bytes after the last tensor");
        }
    }

    private sealed record Entry(string Name, int[] Shape, long Begin, long End);
}
