using DistributedTrainer.Rpc;
using Xunit;

namespace DistributedTrainer.Tests.Rpc;

public sealed class MetadataTests
{
    [Theory]
    [InlineData("grpc-status")]
    [InlineData("content-type")]
    [InlineData("te")]
    [InlineData(":path")]
    [InlineData("bad key")]
    [InlineData("")]
    public void Add_ReservedOrInvalidKey_Throws(string key)
    {
        Assert.ThrowsAny<ArgumentException>(() => new Metadata().Add(key, "v"));
    }

    [Fact]
    public void Add_NonAsciiStringValue_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Metadata().Add("x-name", "ä"));
    }

    [Fact]
    public void Add_BytesUnderKeyWithoutBinSuffix_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Metadata().Add("x-data", [1, 2]));
    }

    [Fact]
    public void Add_StringUnderBinKey_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Metadata().Add("x-data-bin", "text"));
    }

    [Fact]
    public void GetValue_UpperCaseKey_FindsLowerCasedEntry()
    {
        var metadata = new Metadata().Add("X-Trace", "abc");

        Assert.Equal("abc", metadata.GetValue("x-trace"));
    }
}
