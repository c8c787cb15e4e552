using DistributedTrainer.Tests.Rpc.Echo;
using DistributedTrainer.Transport;
using Grpc.Core;
using Grpc.Health.V1;
using Xunit;
using EchoRpc = DistributedTrainer.Tests.Rpc.Echo.Echo;

namespace DistributedTrainer.Tests.Transport;

/// <summary>The bearer token of <see cref="GrpcEndpointOptions.Token"/>, enforced by <see cref="BearerTokenInterceptor"/>.</summary>
public sealed class BearerTokenTests : IAsyncLifetime
{
    private const string Token = "t0ken";
    private EchoServer _server = null!;

    public async Task InitializeAsync() => _server = await EchoServer.StartAsync(new GrpcEndpointOptions { Token = Token });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong")]
    [InlineData("Bearer t0ke")]
    [InlineData("t0ken")]
    public async Task Say_MissingOrWrongToken_Unauthenticated(string? authorization)
    {
        using var channel = _server.Channel();
        var client = new EchoRpc.EchoClient(channel);
        Metadata? headers = authorization is null ? null : new Metadata { { "authorization", authorization } };

        var error = await Assert.ThrowsAsync<RpcException>(() => client.SayAsync(new EchoRequest(), headers, Soon()).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task Say_RightToken_Served()
    {
        using var channel = _server.Channel();
        var client = new EchoRpc.EchoClient(channel);

        EchoReply reply = await client.SayAsync(new EchoRequest { Text = "in" }, BearerToken.Headers(Token), Soon());

        Assert.Equal("in", reply.Text);
    }

    [Fact]
    public async Task Chat_WithoutToken_UnauthenticatedBeforeTheHandlerReads()
    {
        using var channel = _server.Channel();
        var client = new EchoRpc.EchoClient(channel);
        using var call = client.Chat(deadline: Soon());

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task HealthCheck_WithoutToken_Serving()
    {
        using var channel = _server.Channel();

        var response = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: Soon());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Reflection_WithoutToken_Unauthenticated()
    {
        using var channel = _server.Channel();
        using var call = new Grpc.Reflection.V1.ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(deadline: Soon());

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    private static DateTime Soon() => DateTime.UtcNow.AddSeconds(10);
}
