using DistributedTrainer.Rpc;
using DistributedTrainer.Tests.Rpc.Echo;
using Grpc.Health.V1;
using Xunit;

namespace DistributedTrainer.Tests.Rpc;

public sealed class BearerTokenAuthTests : IAsyncLifetime
{
    private GrpcHost? _host;

    private Uri Address => _host!.Address;

    public async Task InitializeAsync()
    {
        var router = new GrpcRouter(new GrpcServerOptions { Interceptor = BearerTokenAuth.Create("t0ken", "grpc.health.v1.Health") });
        router.AddService(new EchoService().Definition).AddService(new HealthService().Definition);
        _host = await GrpcHost.StartAsync(router);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong")]
    [InlineData("t0ken")]
    public async Task Interceptor_MissingOrWrongToken_Unauthenticated(string? authorization)
    {
        using var channel = new RpcChannel(Address);
        Metadata? headers = authorization is null ? null : new Metadata().Add("authorization", authorization);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoMethods.Say, new EchoRequest(), new CallOptions(Headers: headers)));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task Interceptor_RightToken_CallServed()
    {
        using var channel = new RpcChannel(Address);

        EchoReply reply = await channel.UnaryAsync(EchoMethods.Say, new EchoRequest { Text = "in" }, new CallOptions(Headers: new Metadata().Add("authorization", "Bearer t0ken")));

        Assert.Equal("in", reply.Text);
    }

    [Fact]
    public async Task Interceptor_OpenService_ServedWithoutToken()
    {
        using var channel = new RpcChannel(Address);
        var check = new Method<HealthCheckRequest, HealthCheckResponse>(HealthReflection.Descriptor.Services[0].FindMethodByName("Check"));

        HealthCheckResponse response = await channel.UnaryAsync(check, new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }
}
