using DistributedTrainer.Rpc;
using Google.Protobuf.Reflection;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Xunit;

namespace DistributedTrainer.Tests.Rpc;

public sealed class ReflectionServiceTests(EchoServerFixture server) : IClassFixture<EchoServerFixture>
{
    private static readonly Method<ServerReflectionRequest, ServerReflectionResponse> Info =
        new(ReflectionReflection.Descriptor.Services[0].FindMethodByName("ServerReflectionInfo"));

    [Fact]
    public async Task ListServices_AllAddedServicesInOrder()
    {
        ServerReflectionResponse response = await AskAsync(new ServerReflectionRequest { ListServices = "*" });

        Assert.Equal(
            ["test.v1.Echo", "test.v1.Relay", "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"],
            response.ListServicesResponse.Service.Select(s => s.Name));
    }

    [Fact]
    public async Task FileContainingSymbol_Service_FileThenTransitiveDependencies()
    {
        ServerReflectionResponse response = await AskAsync(new ServerReflectionRequest { FileContainingSymbol = "test.v1.Relay" });

        Assert.Equal(["test/v1/relay.proto", "google/protobuf/timestamp.proto", "test/v1/echo.proto"], FileNames(response));
    }

    [Theory]
    [InlineData("test.v1.Echo.Say")]
    [InlineData("test.v1.EchoRequest")]
    [InlineData(".test.v1.EchoReply")]
    public async Task FileContainingSymbol_MethodOrMessage_ItsFile(string symbol)
    {
        ServerReflectionResponse response = await AskAsync(new ServerReflectionRequest { FileContainingSymbol = symbol });

        Assert.Equal("test/v1/echo.proto", FileNames(response)[0]);
    }

    [Fact]
    public async Task FileContainingSymbol_NestedMessage_ItsFile()
    {
        ServerReflectionResponse response = await AskAsync(new ServerReflectionRequest { FileContainingSymbol = "test.v1.Envelope.Route" });

        Assert.Equal("test/v1/relay.proto", FileNames(response)[0]);
    }

    [Fact]
    public async Task FileContainingSymbol_Unknown_NotFoundError()
    {
        ServerReflectionResponse response = await AskAsync(new ServerReflectionRequest { FileContainingSymbol = "no.such.Thing" });

        Assert.Equal((int)StatusCode.NotFound, response.ErrorResponse.ErrorCode);
    }

    [Fact]
    public async Task FileByFilename_HealthProto_DescribesHealthService()
    {
        ServerReflectionResponse response = await AskAsync(new ServerReflectionRequest { FileByFilename = "grpc/health/v1/health.proto" });

        FileDescriptorProto file = FileDescriptorProto.Parser.ParseFrom(response.FileDescriptorResponse.FileDescriptorProto[0]);
        Assert.Equal(["Check", "Watch"], file.Service.Single().Method.Select(m => m.Name));
    }

    [Fact]
    public async Task FileContainingSymbol_Served_MatchesGeneratedDescriptor()
    {
        ServerReflectionResponse response = await AskAsync(new ServerReflectionRequest { FileContainingSymbol = "grpc.health.v1.Health" });

        Assert.Equal(HealthReflection.Descriptor.SerializedData, response.FileDescriptorResponse.FileDescriptorProto[0]);
    }

    [Fact]
    public async Task ServerReflectionInfo_SeveralRequestsOnOneStream_OneAnswerEach()
    {
        using DuplexStreamingCall<ServerReflectionRequest, ServerReflectionResponse> call = server.Channel.DuplexStreaming(Info, CallOptions.WithTimeout(TimeSpan.FromSeconds(10)));
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "test.v1.Echo" });
        await call.RequestStream.CompleteAsync();

        List<ServerReflectionResponse> responses = await call.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.Equal(
            [ServerReflectionResponse.MessageResponseOneofCase.ListServicesResponse, ServerReflectionResponse.MessageResponseOneofCase.FileDescriptorResponse],
            responses.Select(r => r.MessageResponseCase));
    }

    private static List<string> FileNames(ServerReflectionResponse response) =>
        response.FileDescriptorResponse.FileDescriptorProto.Select(bytes => FileDescriptorProto.Parser.ParseFrom(bytes).Name).ToList();

    private async Task<ServerReflectionResponse> AskAsync(ServerReflectionRequest request)
    {
        using DuplexStreamingCall<ServerReflectionRequest, ServerReflectionResponse> call = server.Channel.DuplexStreaming(Info, CallOptions.WithTimeout(TimeSpan.FromSeconds(10)));
        await call.RequestStream.WriteAsync(request);
        await call.RequestStream.CompleteAsync();
        return await call.ResponseStream.ReadAllAsync().SingleAsync();
    }
}
