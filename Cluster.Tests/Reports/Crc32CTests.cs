using System.Text;
using DistributedTrainer.Reports.TensorBoard;
using Xunit;

namespace DistributedTrainer.Tests.Reports;

public sealed class Crc32CTests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xC1D04330u)]
    [InlineData("123456789", 0xE3069283u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x22620404u)]
    public void Compute_KnownVector_MatchesCastagnoli(string text, uint expected)
    {
        uint crc = Crc32C.Compute(Encoding.ASCII.GetBytes(text));

        Assert.Equal(expected, crc);
    }

    [Fact]
    public void ComputeTable_ThirtyTwoZeroBytes_MatchesRfc3720()
    {
        // RFC 3720 (iSCSI) B.4: 32 bytes of zeros.
        uint crc = Crc32C.ComputeTable(new byte[32]);

        Assert.Equal(0x8A9136AAu, crc);
    }

    [Sse42Fact]
    public void ComputeSse42_RandomDataOfEveryLength_EqualsTablePath()
    {
        var random = new Random(11);
        var data = new byte[300];
        random.NextBytes(data);

        for (int length = 0; length <= data.Length; length++)
        {
            var slice = data.AsSpan(length % 7, Math.Min(length, data.Length - length % 7));
            Assert.Equal(Crc32C.ComputeTable(slice), Crc32C.ComputeSse42(slice));
        }
    }

    [Fact]
    public void Mask_Zero_IsTheDelta()
    {
        uint masked = Crc32C.Mask(0);

        Assert.Equal(0xa282ead8u, masked);
    }
}
