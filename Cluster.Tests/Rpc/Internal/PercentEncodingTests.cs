using DistributedTrainer.Rpc.Internal;
using Xunit;

namespace DistributedTrainer.Tests.Rpc.Internal;

public sealed class PercentEncodingTests
{
    [Theory]
    [InlineData("plain ascii")]
    [InlineData("größer als 1 µs — 失败 ✓")]
    [InlineData("100% done, %41 stays")]
    [InlineData("tab\tand\r\nnewline")]
    [InlineData("")]
    public void Encode_ThenDecode_RoundTrips(string message)
    {
        string encoded = PercentEncoding.Encode(message);

        Assert.Equal(message, PercentEncoding.Decode(encoded));
    }

    [Fact]
    public void Encode_NonAscii_OnlyPrintableAsciiOnTheWire()
    {
        string encoded = PercentEncoding.Encode("ä%\n");

        Assert.Equal("%C3%A4%25%0A", encoded);
    }

    [Theory]
    [InlineData("50%", "50%")]
    [InlineData("%zz", "%zz")]
    [InlineData("%4", "%4")]
    public void Decode_MalformedSequence_KeptAsItIs(string value, string expected)
    {
        Assert.Equal(expected, PercentEncoding.Decode(value));
    }
}
