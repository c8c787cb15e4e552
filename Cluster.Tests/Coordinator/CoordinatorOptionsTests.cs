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
    public void Parse_DashboardPort_SetsIt()
    {
        var options = CoordinatorOptions.Parse(["--state-dir", "s", "--dashboard-port", "0"], null);

        Assert.Equal(0, options.DashboardPort);
    }

    [Fact]
    public void Parse_NoDashboardPort_NoDashboard()
    {
        var options = CoordinatorOptions.Parse(["--state-dir", "s"], null);

        Assert.Null(options.DashboardPort);
    }

    [Fact]
    public void Parse_DashboardPortOutOfRange_NamesTheFlag()
    {
        var invalid = Assert.Throws<ArgumentException>(() => CoordinatorOptions.Parse(["--state-dir", "s", "--dashboard-port", "70000"], null));

        Assert.StartsWith("Invalid --dashboard-port: '70000'", invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TokenOnlyInEnvironment_UsesIt()
    {
        var options = CoordinatorOptions.Parse(["--state-dir", "s"], "from-env");

        Assert.Equal("from-env", options.Token);
    }

    [Fact]
    public void Parse_TokenOnly_BothServicesTakeIt()
    {
        var options = CoordinatorOptions.Parse(["--state-dir", "s", "--token", "t"], null);

        Assert.Equal(("t", "t"), (options.ClientToken, options.ClusterToken));
    }

    [Fact]
    public void Parse_ClientAndClusterTokens_EachWinsOverTheSharedOne()
    {
        var options = CoordinatorOptions.Parse(["--state-dir", "s", "--token", "t", "--client-token", "c"], null, null, "k");

        Assert.Equal(("c", "k"), (options.ClientToken, options.ClusterToken));
    }

    [Fact]
    public void Parse_OnlyAClusterToken_JobsApiOpen()
    {
        var options = CoordinatorOptions.Parse(["--state-dir", "s", "--cluster-token", "k"], null);

        Assert.Equal((null, "k"), (options.ClientToken, options.ClusterToken));
    }

    [Fact]
    public void Parse_ClientTokenEqualToClusterToken_ArgumentException()
    {
        var failure = Assert.Throws<ArgumentException>(() =>
            CoordinatorOptions.Parse(["--state-dir", "s", "--client-token", "same", "--cluster-token", "same"], null));

        Assert.Contains("must differ", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DataRootsRepeated_AllKeptInOrder()
    {
        var options = CoordinatorOptions.Parse(["--state-dir", "s", "--data-root", "/a", "--data-root", "/b"], null);

        Assert.Equal(["/a", "/b"], options.EffectiveDataRoots());
    }

    [Fact]
    public void EffectiveDataRoots_NoneGiven_StateDataSystemDatasetsAndLicenceTexts() =>
        Assert.Equal([Path.Combine("s", "data"), "/usr/share/datasets", "/usr/share/common-licenses"], CoordinatorOptions.Parse(["--state-dir", "s"], null).EffectiveDataRoots());

    [Fact]
    public void Parse_LimitFlags_SetTheCallerLimits()
    {
        var options = CoordinatorOptions.Parse(["--state-dir", "s", "--max-queued-jobs", "3", "--max-watches", "4", "--max-spec-bytes", "5000"], null);

        Assert.Equal((3, 4, 5000), (options.Limits.MaxQueuedJobs, options.Limits.MaxWatches, options.Limits.MaxSpecBytes));
    }

    [Theory]
    [InlineData("--max-queued-jobs", "0", "--max-queued-jobs")]
    [InlineData("--max-watches", "-1", "--max-watches")]
    [InlineData("--data-root", "", "--data-root")]
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
