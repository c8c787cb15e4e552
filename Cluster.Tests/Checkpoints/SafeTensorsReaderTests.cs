using System.Buffers.Binary;
using System.Text;
using DistributedTrainer.Checkpoints;
using DistributedTrainer.Tests.Data;
using Xunit;

namespace DistributedTrainer.Tests.Checkpoints;

public sealed class SafeTensorsReaderTests
{
    /// <summary>A file with the given header JSON (padded to 8 bytes) followed by <paramref name="dataLength"/> zero bytes.</summary>
    private static byte[] File(string header, int dataLength)
    {
        var json = Encoding.UTF8.GetBytes(header);
        int padded = (json.Length + 7) / 8 * 8;
        var bytes = new byte[8 + padded + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        bytes.AsSpan(8, padded).Fill((byte)' ');
        json.CopyTo(bytes, 8);
        return bytes;
    }

    private static InvalidDataException Refuse(byte[] file) =>
        Assert.Throws<InvalidDataException>(() => SafeTensorsReader.Read(file, "m.safetensors"));

    [Fact]
    public void Read_WellFormed_ReturnsTensorsInDataOrder()
    {
        var file = File("""{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 8);

        var content = SafeTensorsReader.Read(file, "m.safetensors");

        Assert.Equal(["a", "b"], content.Tensors.Select(tensor => tensor.Name));
    }

    [Fact]
    public void Read_FromPath_ReadsFile()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("m.safetensors");
        System.IO.File.WriteAllBytes(path, File("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8));

        Assert.Equal([2], SafeTensorsReader.Read(path).Tensors[0].Shape);
    }

    [Fact]
    public void Read_ShorterThanLengthField_ThrowsTruncated()
    {
        Assert.Equal("m.safetensors: truncated: 5 bytes, shorter than the 8-byte header length", Refuse([1, 2, 3, 4, 5]).Message);
    }

    [Fact]
    public void Read_HeaderLengthPastEnd_Throws()
    {
        var file = File("{}", 0);
        BinaryPrimitives.WriteUInt64LittleEndian(file, 1000);

        Assert.Contains("header length 1000 exceeds the 8 bytes that follow it", Refuse(file).Message);
    }

    [Fact]
    public void Read_TruncatedData_ThrowsTruncatedWithSizes()
    {
        var file = File("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 16);

        Assert.Equal("m.safetensors: truncated: header declares 16 data bytes, file has 10", Refuse(file[..^6]).Message);
    }

    [Fact]
    public void Read_HeaderNotJson_Throws()
    {
        Assert.StartsWith("m.safetensors: header is not valid JSON", Refuse(File("{\"a\":", 0)).Message);
    }

    [Fact]
    public void Read_HeaderNotObject_Throws()
    {
        Assert.Equal("m.safetensors: header is a JSON Array, expected an object", Refuse(File("[]", 0)).Message);
    }

    [Fact]
    public void Read_UnsupportedDtype_ThrowsNamingIt()
    {
        var file = File("""{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}""", 4);

        Assert.Equal("m.safetensors: tensor 'a': dtype 'F16' is not supported (only F32)", Refuse(file).Message);
    }

    [Fact]
    public void Read_ShapeDisagreesWithOffsets_Throws()
    {
        var file = File("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8);

        Assert.Equal("m.safetensors: tensor 'a': shape [3] needs 12 bytes but data_offsets [0, 8] span 8", Refuse(file).Message);
    }

    [Fact]
    public void Read_NegativeShape_Throws()
    {
        var file = File("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4);

        Assert.Contains("'shape' holds -1", Refuse(file).Message);
    }

    [Fact]
    public void Read_ReversedOffsets_Throws()
    {
        var file = File("""{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}""", 4);

        Assert.Contains("must be [begin, end] with begin <= end", Refuse(file).Message);
    }

    [Fact]
    public void Read_OverlappingTensors_ThrowsNamingBoth()
    {
        var file = File("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12);

        Assert.Equal("m.safetensors: tensor 'b' at [4, 12) overlaps tensor 'a'", Refuse(file).Message);
    }

    [Fact]
    public void Read_GapBetweenTensors_Throws()
    {
        var file = File("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12);

        Assert.Equal("m.safetensors: 4 unaccounted bytes between tensor 'a' and tensor 'b'", Refuse(file).Message);
    }

    [Fact]
    public void Read_TrailingBytes_Throws()
    {
        var file = File("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 12);

        Assert.Equal("m.safetensors: 8 trailing bytes after the last tensor", Refuse(file).Message);
    }

    [Fact]
    public void Read_DuplicateName_Throws()
    {
        var file = File("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8);

        Assert.Equal("m.safetensors: header names 'a' twice", Refuse(file).Message);
    }

    [Fact]
    public void Read_MetadataValueNotString_Throws()
    {
        var file = File("""{"__metadata__":{"epoch":3}}""", 0);

        Assert.Equal("m.safetensors: metadata 'epoch' is a JSON Number, expected a string", Refuse(file).Message);
    }

    [Fact]
    public void Read_MissingDtype_Throws()
    {
        var file = File("""{"a":{"shape":[1],"data_offsets":[0,4]}}""", 4);

        Assert.Equal("m.safetensors: tensor 'a': missing string 'dtype'", Refuse(file).Message);
    }
}
