using DistributedTrainer.Rpc.Internal;
using Xunit;

namespace DistributedTrainer.Tests.Rpc.Internal;

public sealed class GrpcTimeoutTests
{
    [Theory]
    [InlineData("1H", 3600_000)]
    [InlineData("2M", 120_000)]
    [InlineData("30S", 30_000)]
    [InlineData("250m", 250)]
    [InlineData("1500u", 1.5)]
    [InlineData("99999999n", 99.999999)]
    public void TryParse_ValidValue_Milliseconds(string value, double milliseconds)
    {
        Assert.True(GrpcTimeout.TryParse(value, out TimeSpan timeout));

        Assert.Equal(milliseconds, timeout.TotalMilliseconds, 4);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("123456789S")]
    [InlineData("10s")]
    [InlineData("-1S")]
    [InlineData("1.5S")]
    [InlineData(" 1S")]
    public void TryParse_MalformedValue_False(string value)
    {
        Assert.False(GrpcTimeout.TryParse(value, out _));
    }

    [Theory]
    [InlineData(0.0005)]
    [InlineData(250)]
    [InlineData(86_400_000)]
    [InlineData(1e12)]
    public void Format_ThenParse_NeverShorterAndAtMostEightDigits(double milliseconds)
    {
        TimeSpan timeout = TimeSpan.FromMilliseconds(milliseconds);

        string formatted = GrpcTimeout.Format(timeout);

        Assert.True(GrpcTimeout.TryParse(formatted, out TimeSpan parsed) && parsed >= timeout && formatted.Length <= 9, formatted);
    }
}
