using DistributedTrainer.Data;
using Xunit;

namespace DistributedTrainer.Tests.Data;

public sealed class IdxReaderTests
{
    private static readonly byte[] Pixels = [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255];

    [Fact]
    public void Read_RawFile_ReturnsDimensionsAndBytes()
    {
        using var directory = new TemporaryDirectory();
        string path = IdxTestFiles.Write(directory.File("images-idx3-ubyte"), [3, 2, 2], Pixels);

        var array = IdxReader.Read(path);

        Assert.Equal([3, 2, 2], array.Dimensions);
        Assert.Equal(Pixels, array.Data);
    }

    [Fact]
    public void Read_GzipFile_ReturnsSameContentAsRaw()
    {
        using var directory = new TemporaryDirectory();
        string path = IdxTestFiles.Write(directory.File("images.gz"), [3, 2, 2], Pixels, gzip: true);

        var array = IdxReader.Read(path);

        Assert.Equal(Pixels, array.Data);
    }

    [Fact]
    public void Read_GzipContentWithoutGzName_IsDetectedByMagicBytes()
    {
        using var directory = new TemporaryDirectory();
        string path = IdxTestFiles.Write(directory.File("images.idx"), [12], Pixels, gzip: true);

        var array = IdxReader.Read(path);

        Assert.Equal([12], array.Dimensions);
    }

    [Fact]
    public void ElementsPerItem_ImageFile_IsProductOfInnerDimensions()
    {
        var array = new IdxArray([3, 2, 2], Pixels);

        Assert.Equal(4, array.ElementsPerItem);
    }

    [Fact]
    public void Read_BadMagic_ThrowsNamingTheFileButNotItsBytes()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("bad");
        var bytes = IdxTestFiles.Encode([12], Pixels);
        bytes[0] = 0x50;
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("not an IDX file", error.Message);
        Assert.DoesNotContain("0x50", error.Message);
    }

    [Fact]
    public void Read_UnsupportedElementType_ThrowsNamingType()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("floats");
        var bytes = IdxTestFiles.Encode([12], Pixels);
        bytes[2] = 0x0D;
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Contains("element type is not supported", error.Message);
    }

    [Fact]
    public void Read_ZeroDimensions_Throws()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("rank0");
        File.WriteAllBytes(path, [0, 0, 0x08, 0]);

        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Contains("dimension count is invalid", error.Message);
    }

    [Fact]
    public void Read_TruncatedData_ThrowsWithExpectedAndFoundSizes()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("short");
        var bytes = IdxTestFiles.Encode([3, 2, 2], Pixels);
        File.WriteAllBytes(path, bytes[..^5]);

        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Contains($"{path}: truncated: dimensions [3, 2, 2] need 12 data bytes, found 7", error.Message);
    }

    [Fact]
    public void Read_TruncatedGzip_ThrowsTruncated()
    {
        using var directory = new TemporaryDirectory();
        string whole = IdxTestFiles.Write(directory.File("whole.gz"), [3, 2, 2], Pixels, gzip: true);
        string path = directory.File("cut.gz");
        var compressed = File.ReadAllBytes(whole);
        File.WriteAllBytes(path, compressed[..(compressed.Length / 2)]);

        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Read_TruncatedHeader_Throws()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("header");
        File.WriteAllBytes(path, [0, 0, 0x08, 3, 0, 0, 0, 3]);

        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Contains("ends before them", error.Message);
    }

    [Fact]
    public void Read_TrailingBytes_Throws()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("long");
        File.WriteAllBytes(path, [.. IdxTestFiles.Encode([12], Pixels), 7]);

        var error = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));

        Assert.Contains("more data than dimensions [12] declare", error.Message);
    }

    [Fact]
    public void Read_MissingFile_ThrowsFileNotFound()
    {
        using var directory = new TemporaryDirectory();

        var error = Assert.Throws<FileNotFoundException>(() => IdxReader.Read(directory.File("absent")));

        Assert.Contains("absent", error.Message);
    }
}
