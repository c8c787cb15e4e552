using DistributedTrainer.Tests.Rpc.Echo;
using DistributedTrainer.Transport;
using Google.Protobuf;
using Grpc.Core;
using Xunit;
using EchoRpc = DistributedTrainer.Tests.Rpc.Echo.Echo;

namespace DistributedTrainer.Tests.Transport;

/// <summary>The message-size limits of <see cref="GrpcEndpointOptions"/> and <see cref="GrpcChannelSettings"/>: RESOURCE_EXHAUSTED beyond them.</summary>
public sealed class MessageLimitTests
{
    private const int Limit = 64 * 1024;

    [Fact]
    public async Task Say_RequestOverServerLimit_ResourceExhausted()
    {
        await using var server = await EchoServer.StartAsync(new GrpcEndpointOptions { MaxReceiveMessageSize = Limit });
        using var channel = server.Channel();

        var error = await Assert.ThrowsAsync<RpcException>(() => Say(channel, Limit + 1).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Say_ResponseOverClientLimit_ResourceExhausted()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = server.Channel(new GrpcChannelSettings { MaxReceiveMessageSize = Limit });

        var error = await Assert.ThrowsAsync<RpcException>(() => Say(channel, Limit + 1).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Say_RequestOverClientSendLimit_ResourceExhausted()
    {
        await using var server = await EchoServer.StartAsync();
        using var channel = server.Channel(new GrpcChannelSettings { MaxSendMessageSize = Limit });

        var error = await Assert.ThrowsAsync<RpcException>(() => Say(channel, Limit + 1).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Say_MessagesLargerThanTheFlowControlWindows_RoundTrip()
    {
        const int size = 40 * 1024 * 1024;
        await using var server = await EchoServer.StartAsync(new GrpcEndpointOptions { MaxReceiveMessageSize = size + 1024, MaxSendMessageSize = size + 1024 });
        using var channel = server.Channel(new GrpcChannelSettings { MaxReceiveMessageSize = size + 1024 });
        byte[] payload = new byte[size];
        new Random(5).NextBytes(payload);

        EchoReply reply = await new EchoRpc.EchoClient(channel).SayAsync(new EchoRequest { Payload = ByteString.CopyFrom(payload) },
            deadline: DateTime.UtcNow.AddSeconds(60));

        Assert.True(payload.AsSpan().SequenceEqual(reply.Payload.Span));
    }

    private static AsyncUnaryCall<EchoReply> Say(Grpc.Net.Client.GrpcChannel channel, int payloadSize) =>
        new EchoRpc.EchoClient(channel).SayAsync(new EchoRequest { Payload = ByteString.CopyFrom(new byte[payloadSize]) },
            deadline: DateTime.UtcNow.AddSeconds(10));
}
