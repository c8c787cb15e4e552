using System.Text;
using DistributedTrainer.Data.Shards;
using Xunit;

namespace DistributedTrainer.Tests.Data.Shards;

public sealed class NpyHeaderTests
{
    [Theory]
    [InlineData(NpyDType.UInt8)]
    [InlineData(NpyDType.Float32)]
    [InlineData(NpyDType.Int32)]
    [InlineData(NpyDType.Int64)]
    public void Read_EncodedHeader_RoundTripsTypeShapeAndOffset(NpyDType type)
    {
        var bytes = NpyHeader.Encode(type, [5, 28, 28]);

        var header = NpyHeader.Read(new MemoryStream(bytes));

        Assert.Equal((type, 5L * 28 * 28, (long)bytes.Length), (header.Type, header.ElementCount, header.DataOffset));
    }

    [Fact]
    public void Encode_AnyShape_PadsTheHeaderTo64Bytes()
    {
        var bytes = NpyHeader.Encode(NpyDType.Float32, [123456, 7]);

        Assert.Equal(0, bytes.Length % 64);
    }

    [Fact]
    public void Read_OneDimensionalShape_ReadsTheTrailingCommaTuple()
    {
        var header = NpyHeader.Read(new MemoryStream(NpyHeader.Encode(NpyDType.Int64, [9])));

        Assert.Equal([9L], header.Shape);
    }

    [Fact]
    public void Read_FortranOrder_IsRefused()
    {
        var bytes = NpyHeader.Encode(NpyDType.Float32, [2, 3]);
        string text = Encoding.Latin1.GetString(bytes).Replace("'fortran_order': False", "'fortran_order': True ", StringComparison.Ordinal);

        var error = Assert.Throws<InvalidDataException>(() => NpyHeader.Read(new MemoryStream(Encoding.Latin1.GetBytes(text))));

        Assert.Contains("C order", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_BigEndianFloats_AreRefusedWithoutQuotingTheHeader()
    {
        var bytes = NpyHeader.Encode(NpyDType.Float32, [2, 3]);
        string text = Encoding.Latin1.GetString(bytes).Replace("'<f4'", "'>f4'", StringComparison.Ordinal);

        var error = Assert.Throws<InvalidDataException>(() => NpyHeader.Read(new MemoryStream(Encoding.Latin1.GetBytes(text))));

        Assert.DoesNotContain(">f4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NotNpy_SaysSo()
    {
        var error = Assert.Throws<InvalidDataException>(() => NpyHeader.Read(new MemoryStream(Encoding.ASCII.GetBytes("secret,1,2,3\n"))));

        Assert.Equal("not a .npy file (no \\x93NUMPY magic)", error.Message);
    }
}
