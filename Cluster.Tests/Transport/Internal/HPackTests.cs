using DistributedTrainer.Transport.Internal;
using Xunit;

namespace DistributedTrainer.Tests.Transport.Internal;

public sealed class HPackTests
{
    [Fact]
    public void Read_LiteralsWritten_GivesEveryHeaderBackInOrder()
    {
        var block = new List<byte>();
        string longValue = new('v', 300);
        HPack.WriteLiteral(block, ":path", "/trainer.v1.Collective/Subscribe");
        HPack.WriteLiteral(block, "x-long", longValue);
        HPack.WriteLiteral(block, "te", "trailers");

        List<KeyValuePair<string, string>> headers = HPack.Read(block.ToArray());

        Assert.Equal([new(":path", "/trainer.v1.Collective/Subscribe"), new("x-long", longValue), new("te", "trailers")], headers);
    }

    [Theory]
    [InlineData(new byte[] { 0x88 }, ":status", "200")]
    [InlineData(new byte[] { 0x8d }, ":status", "404")]
    [InlineData(new byte[] { 0x5f, 0x10, 0x61, 0x70, 0x70, 0x6c, 0x69, 0x63, 0x61, 0x74, 0x69, 0x6f, 0x6e, 0x2f, 0x67, 0x72, 0x70, 0x63 }, "content-type", "application/grpc")]
    [InlineData(new byte[] { 0x0f, 0x2b, 0x01, 0x78 }, "user-agent", "x")]
    [InlineData(new byte[] { 0x20, 0x88 }, ":status", "200")]
    public void Read_StaticReferencesAndIndexedNames_NameAndValue(byte[] block, string name, string value)
    {
        Assert.Equal([new(name, value)], HPack.Read(block));
    }

    [Theory]
    [InlineData(new byte[] { 0xbe }, "index 62")]
    [InlineData(new byte[] { 0x80 }, "index 0")]
    [InlineData(new byte[] { 0x3f, 0xe1, 0x1f }, "dynamic table size update to 4096")]
    [InlineData(new byte[] { 0x00, 0x81, 0x61, 0x01, 0x62 }, "Huffman")]
    [InlineData(new byte[] { 0x00, 0x05, 0x61 }, "runs past the end")]
    [InlineData(new byte[] { 0x00, 0x7f }, "runs past the end")]
    public void Read_WhatThisClientDoesNotRead_FailsNamingIt(byte[] block, string reason)
    {
        InvalidDataException failure = Assert.Throws<InvalidDataException>(() => HPack.Read(block));

        Assert.Contains(reason, failure.Message);
    }
}
