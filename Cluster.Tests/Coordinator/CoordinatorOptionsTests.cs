using System.Net;
using DistributedTrainer.Coordinator;
using DistributedTrainer.Coordinator.Grains;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

public sealed class CoordinatorOptionsTests
{
    [Fact]
    public void Parse_AllFlags_EveryValue()
    {
        var options = CoordinatorOptions.Parse(
            ["--port", "5000", "--state-dir", "s", "--host", "0.0.0.0", "--token", "t", "--tls-cert", "c.pem", "--tls-key", "k.pem",
             "--orleans-hosting", "kubernetes"], null);

        Assert.Equal(new CoordinatorOptions("s", 5000, IPAddress.Any, "t", "c.pem", "k.pem", Silo: SiloHosting.Kubernetes), options);
    }

    [Fact]
    public void Parse_TokenOnlyInEnvironment_UsesIt()
    {
        var options = CoordinatorOptions.Parse(["--state-dir", "s"], "from-env");

        Assert.Equal("from-env", options.Token);
    }

    [Theory]
    [InlineData("--port", "70000", "--port")]
    [InlineData("--host", "localhost", "--host")]
    [InlineData("--tls-cert", "c.pem", "--tls-key")]
    [InlineData("--bogus", "x", "--bogus")]
    [InlineData("--orleans-hosting", "consul", "--orleans-hosting")]
    public void Parse_BadFlag_ArgumentExceptionNamingIt(string flag, string value, string named)
    {
        var failure = Assert.Throws<ArgumentException>(() => CoordinatorOptions.Parse(["--state-dir", "s", flag, value], null));

        Assert.Contains(named, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NoStateDirectory_ArgumentException() =>
        Assert.Throws<ArgumentException>(() => CoordinatorOptions.Parse(["--port", "0"], null));
}
