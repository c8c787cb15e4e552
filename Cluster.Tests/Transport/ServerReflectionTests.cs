using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Health.V1;
using Xunit;
using V1 = Grpc.Reflection.V1;
using V1Alpha = Grpc.Reflection.V1Alpha;

namespace DistributedTrainer.Tests.Transport;

/// <summary>Server reflection v1 and v1alpha as <see cref="DistributedTrainer.Transport.GrpcServerHosting"/> serves them, asked by the standard generated clients.</summary>
public sealed class ServerReflectionTests : IAsyncLifetime
{
    private static readonly string[] MappedServices =
    [
        "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", "test.v1.Echo", "test.v1.Relay",
    ];

    private EchoServer _server = null!;

    public async Task InitializeAsync() => _server = await EchoServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task V1_ListServices_EveryMappedService()
    {
        var response = await AskV1Async(new V1.ServerReflectionRequest { ListServices = "*" });

        Assert.Equal(MappedServices, response.ListServicesResponse.Service.Select(s => s.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task V1Alpha_ListServices_EveryMappedService()
    {
        using var channel = _server.Channel();
        using var call = new V1Alpha.ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(10));
        await call.RequestStream.WriteAsync(new V1Alpha.ServerReflectionRequest { ListServices = "*" });
        await call.RequestStream.CompleteAsync();

        var response = await call.ResponseStream.ReadAllAsync().SingleAsync();

        Assert.Equal(MappedServices, response.ListServicesResponse.Service.Select(s => s.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("test.v1.Echo.Say")]
    [InlineData("test.v1.EchoRequest")]
    public async Task V1_FileContainingSymbol_MethodOrMessage_ItsFile(string symbol)
    {
        var response = await AskV1Async(new V1.ServerReflectionRequest { FileContainingSymbol = symbol });

        Assert.Equal("test/v1/echo.proto", FileDescriptorProto.Parser.ParseFrom(response.FileDescriptorResponse.FileDescriptorProto[0]).Name);
    }

    [Fact]
    public async Task V1_FileContainingSymbol_Unknown_NotFoundError()
    {
        var response = await AskV1Async(new V1.ServerReflectionRequest { FileContainingSymbol = "no.such.Thing" });

        Assert.Equal((int)StatusCode.NotFound, response.ErrorResponse.ErrorCode);
    }

    [Fact]
    public async Task V1_FileContainingSymbol_Health_MatchesGeneratedDescriptor()
    {
        var response = await AskV1Async(new V1.ServerReflectionRequest { FileContainingSymbol = "grpc.health.v1.Health" });

        Assert.Equal(HealthReflection.Descriptor.SerializedData, response.FileDescriptorResponse.FileDescriptorProto[0]);
    }

    private async Task<V1.ServerReflectionResponse> AskV1Async(V1.ServerReflectionRequest request)
    {
        using var channel = _server.Channel();
        using var call = new V1.ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(10));
        await call.RequestStream.WriteAsync(request);
        await call.RequestStream.CompleteAsync();
        return await call.ResponseStream.ReadAllAsync().SingleAsync();
    }
}
