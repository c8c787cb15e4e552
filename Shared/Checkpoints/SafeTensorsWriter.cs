using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace DistributedTrainer.Checkpoints;

/// <summary>
/// Writes the safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
/// <c>{"__metadata__": {..}, name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..}</c>
/// padded with spaces so the data starts 8-byte aligned, then the tensors' little-endian bytes back to back in
/// the given order. PyTorch, NumPy and JAX read these files with the <c>safetensors</c> package.
/// </summary>
public static class SafeTensorsWriter
{
    internal const string MetadataKey = "__metadata__";
    internal const string Float32 = "F32";
    private const int Alignment = 8;

    /// <summary>Writes <paramref name="tensors"/> (float32 only) and optional string metadata to <paramref name="destination"/>.</summary>
    public static void Write(Stream destination, IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(tensors);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("safetensors data is little-endian; this writer runs only on little-endian machines");
        }
        Validate(tensors);
        var header = BuildHeader(tensors, metadata);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        destination.Write(length);
        destination.Write(header);
        foreach (var tensor in tensors)
        {
            destination.Write(MemoryMarshal.AsBytes(tensor.Data.AsSpan()));
        }
    }

    private static void Validate(IReadOnlyList<NamedTensor> tensors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in tensors)
        {
            if (string.IsNullOrEmpty(tensor.Name) || tensor.Name == MetadataKey)
            {
                throw new ArgumentException($"Invalid tensor name: '{tensor.Name}' (must be non-empty and not {MetadataKey})");
            }
            if (!names.Add(tensor.Name))
            {
                throw new ArgumentException($"Duplicate tensor name: '{tensor.Name}'");
            }
            if (tensor.Shape.Any(size => size < 0))
            {
                throw new ArgumentException($"Tensor '{tensor.Name}' has a negative size in shape [{string.Join(", ", tensor.Shape)}]");
            }
            if (tensor.ElementCount != tensor.Data.Length)
            {
                throw new ArgumentException(
                    $"Tensor '{tensor.Name}' has shape [{string.Join(", ", tensor.Shape)}] ({tensor.ElementCount} elements) but {tensor.Data.Length} values");
            }
        }
    }

    private static byte[] BuildHeader(IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                {
                    json.WriteString(key, value);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var tensor in tensors)
            {
                long end = offset + (long)tensor.Data.Length * sizeof(float);
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", Float32);
                json.WriteStartArray("shape");
                foreach (int size in tensor.Shape)
                {
                    json.WriteNumberValue(size);
                }
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }
            json.WriteEndObject();
        }
        int padded = (buffer.WrittenCount + Alignment - 1) / Alignment * Alignment;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }
}
