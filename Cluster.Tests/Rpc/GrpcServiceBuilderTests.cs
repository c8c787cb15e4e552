using DistributedTrainer.Rpc;
using DistributedTrainer.Tests.Rpc.Echo;
using Grpc.Health.V1;
using Xunit;

namespace DistributedTrainer.Tests.Rpc;

public sealed class GrpcServiceBuilderTests
{
    private readonly GrpcServiceBuilder _builder = new(EchoReflection.Descriptor.Services[0]);

    [Fact]
    public void Unary_UnknownMethodName_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => _builder.Unary<EchoRequest, EchoReply>("Shout", (r, c) => Task.FromResult(new EchoReply())));

        Assert.Contains("Shout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unary_ServerStreamingMethod_Throws()
    {
        Assert.Throws<ArgumentException>(() => _builder.Unary<EchoRequest, EchoReply>("Expand", (r, c) => Task.FromResult(new EchoReply())));
    }

    [Fact]
    public void Unary_WrongMessageTypes_Throws()
    {
        Assert.Throws<ArgumentException>(() => _builder.Unary<HealthCheckRequest, EchoReply>("Say", (r, c) => Task.FromResult(new EchoReply())));
    }

    [Fact]
    public void Unary_BoundTwice_Throws()
    {
        _builder.Unary<EchoRequest, EchoReply>("Say", (r, c) => Task.FromResult(new EchoReply()));

        Assert.Throws<ArgumentException>(() => _builder.Unary<EchoRequest, EchoReply>("Say", (r, c) => Task.FromResult(new EchoReply())));
    }

    [Fact]
    public void ClientStreamingRaw_UnaryMethod_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => _builder.ClientStreamingRaw<EchoReply>("Say", (r, c) => Task.FromResult(new EchoReply())));

        Assert.Contains("not ClientStreaming", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClientStreamingRaw_WrongResponseType_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => _builder.ClientStreamingRaw<HealthCheckResponse>("Collect", (r, c) => Task.FromResult(new HealthCheckResponse())));

        Assert.Contains("HealthCheckResponse", error.Message, StringComparison.Ordinal);
    }
}
