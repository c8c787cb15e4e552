using System.Text.Json;
using Xunit;

namespace DistributedTrainer.Tests.Transport;

/// <summary>A grpcio client (Debian python3-grpcio) calling a grpc-dotnet server hosted by <see cref="DistributedTrainer.Transport.GrpcServerHosting"/>.</summary>
public sealed class PythonClientInteropTests(PythonClientFixture python) : IClassFixture<PythonClientFixture>
{
    private static readonly string[] ExpectedServices =
    [
        "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", "test.v1.Echo", "test.v1.Relay",
    ];

    [PythonGrpcFact]
    public void Unary_FromGrpcio_EchoesTextAndPayload()
    {
        JsonElement result = python.Case("unary");

        Assert.Equal("hi", result.GetProperty("text").GetString());
        Assert.Equal([0, 1], Ints(result.GetProperty("payload")));
    }

    [PythonGrpcFact]
    public void Unary_FromGrpcio_MetadataBothWays()
    {
        JsonElement result = python.Case("unary");

        Assert.Equal(("py", "py", "py"), (result.GetProperty("echo_header").GetString(), result.GetProperty("header").GetString(), result.GetProperty("trailer").GetString()));
    }

    [PythonGrpcFact]
    public void Unary_FromGrpcioWithTimeout_ServerSeesDeadline() =>
        Assert.InRange(python.Case("unary").GetProperty("deadline_left_ms").GetInt64(), 5000, 10_000);

    [PythonGrpcFact]
    public void ServerStreaming_FromGrpcio_AllRepliesInOrder() =>
        Assert.Equal([0, 1, 2, 3], Ints(python.Case("server_streaming").GetProperty("indexes")));

    [PythonGrpcFact]
    public void ClientStreaming_FromGrpcio_ServerCollectsAll()
    {
        JsonElement result = python.Case("client_streaming");

        Assert.Equal(("abc", 3), (result.GetProperty("text").GetString(), result.GetProperty("count").GetInt32()));
    }

    [PythonGrpcFact]
    public void DuplexStreaming_FromGrpcio_EachRequestAnswered() =>
        Assert.Equal(["x", "y"], python.Case("duplex").GetProperty("texts").EnumerateArray().Select(e => e.GetString()!));

    [PythonGrpcFact]
    public void Unary_HandlerStatusWithNonAsciiMessage_GrpcioSeesCodeAndMessage()
    {
        JsonElement result = python.Case("error");

        Assert.Equal(("FAILED_PRECONDITION", "Schritt größer 失败 100%"), (result.GetProperty("code").GetString(), result.GetProperty("details").GetString()));
    }

    [PythonGrpcFact]
    public void ServerStreaming_ErrorAfterMessages_GrpcioSeesStatus()
    {
        JsonElement result = python.Case("stream_error");

        Assert.Equal(("ABORTED", "mid-stream"), (result.GetProperty("code").GetString(), result.GetProperty("details").GetString()));
    }

    [PythonGrpcFact]
    public void Unary_GrpcioDeadlinePasses_DeadlineExceededInTime()
    {
        JsonElement result = python.Case("deadline");

        Assert.Equal("DEADLINE_EXCEEDED", result.GetProperty("code").GetString());
        Assert.InRange(result.GetProperty("elapsed").GetDouble(), 0.2, 3.0);
    }

    [PythonGrpcFact]
    public void Dispatch_UnknownMethodFromGrpcio_Unimplemented() =>
        Assert.Equal("UNIMPLEMENTED", python.Case("unknown_method").GetProperty("code").GetString());

    [PythonGrpcFact]
    public void Unary_GzipFromGrpcio_Decompressed() => Assert.Equal(102_400, python.Case("gzip").GetProperty("length").GetInt32());

    [PythonGrpcFact]
    public void Unary_RequestOverServerLimitFromGrpcio_ResourceExhausted() =>
        Assert.Equal("RESOURCE_EXHAUSTED", python.Case("too_large").GetProperty("code").GetString());

    [PythonGrpcFact]
    public void HealthCheck_Server_Serving() => Assert.Equal(1, python.Case("health").GetProperty("status").GetInt32());

    [PythonGrpcFact]
    public void HealthCheck_MappedService_Serving() => Assert.Equal(1, python.Case("health_echo").GetProperty("status").GetInt32());

    [PythonGrpcFact]
    public void HealthCheck_UnknownService_NotFound() => Assert.Equal("NOT_FOUND", python.Case("health_unknown").GetProperty("code").GetString());

    [PythonGrpcFact]
    public void HealthWatch_MappedService_FirstAnswerServing() => Assert.Equal(1, python.Case("health_watch").GetProperty("status").GetInt32());

    [PythonGrpcFact]
    public void ReflectionV1_ListServices_EveryMappedService() => Assert.Equal(ExpectedServices, Services("reflection_v1"));

    [PythonGrpcFact]
    public void ReflectionV1Alpha_ListServices_EveryMappedService() => Assert.Equal(ExpectedServices, Services("reflection_v1alpha"));

    [PythonGrpcFact]
    public void ReflectionV1_FileContainingSymbol_TheFileFirstThenItsDependencies()
    {
        List<string> files = Files("reflection_v1");

        Assert.Equal("test/v1/relay.proto", files[0]);
        Assert.Equal(["google/protobuf/timestamp.proto", "test/v1/echo.proto", "test/v1/relay.proto"], files.Order(StringComparer.Ordinal));
    }

    private List<string> Services(string name) =>
        [.. python.Case(name).GetProperty("services").EnumerateArray().Select(e => e.GetString()!)];

    private List<string> Files(string name) =>
        [.. python.Case(name).GetProperty("files").EnumerateArray().Select(e => e.GetString()!)];

    private static IEnumerable<int> Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32());
}
