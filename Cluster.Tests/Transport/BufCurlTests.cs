using Xunit;

namespace DistributedTrainer.Tests.Transport;

/// <summary><c>buf curl</c> against a server hosted by <see cref="DistributedTrainer.Transport.GrpcServerHosting"/>: reflection and health to a standard client.</summary>
public sealed class BufCurlTests : IAsyncLifetime
{
    private EchoServer _server = null!;

    public async Task InitializeAsync() => _server = await EchoServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [BufFact]
    public async Task ListMethods_ThroughReflection_ListsTheEchoMethods()
    {
        var (exitCode, stdout, stderr) = await BufCurl.RunAsync("--protocol", "grpc", "--http2-prior-knowledge", "--list-methods", Address);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("test.v1.Echo/Say", stdout, StringComparison.Ordinal);
    }

    [BufFact]
    public async Task HealthCheck_ThroughReflection_Serving()
    {
        var (exitCode, stdout, stderr) = await BufCurl.RunAsync("--protocol", "grpc", "--http2-prior-knowledge", "-d", "{}",
            Address + "/grpc.health.v1.Health/Check");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("SERVING", stdout, StringComparison.Ordinal);
    }

    private string Address => _server.Address.ToString().TrimEnd('/');
}
