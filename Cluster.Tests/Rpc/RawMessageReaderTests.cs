using DistributedTrainer.Rpc;
using DistributedTrainer.Tests.Rpc.Echo;
using Google.Protobuf;
using Xunit;

namespace DistributedTrainer.Tests.Rpc;

/// <summary>test.v1.Echo/Collect bound raw: the handler parses each request's bytes itself and answers with their texts.</summary>
public sealed class RawMessageReaderTests : IAsyncLifetime
{
    private const int ServerLimit = 64 * 1024;

    private GrpcHost? _host;

    private GrpcHost Host => _host ?? throw new InvalidOperationException("not initialized");

    public async Task InitializeAsync()
    {
        GrpcServiceDefinition echo = new GrpcServiceBuilder(EchoReflection.Descriptor.Services[0])
            .ClientStreamingRaw<EchoReply>("Collect", CollectAsync)
            .Build();
        _host = await GrpcHost.StartAsync(new GrpcRouter(new GrpcServerOptions { MaxReceiveMessageSize = ServerLimit }).AddService(echo));
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task MoveNextAsync_OrdinaryClientMessages_RawBytesParseBackInOrder()
    {
        using var channel = new RpcChannel(Host.Address);

        EchoReply reply = await CollectAsync(channel, new EchoRequest { Text = "a" }, new EchoRequest { Text = "b", Payload = ByteString.CopyFrom(new byte[40_000]) });

        Assert.Equal(("a,b:40000", 2), (reply.Text, reply.Count));
    }

    [Fact]
    public async Task MoveNextAsync_GzipCompressedMessages_Decompressed()
    {
        using var channel = new RpcChannel(Host.Address, new RpcChannelOptions { CompressRequests = true });

        EchoReply reply = await CollectAsync(channel, new EchoRequest { Text = "zipped" });

        Assert.Equal(("zipped", 1), (reply.Text, reply.Count));
    }

    [Fact]
    public async Task MoveNextAsync_MessageOverTheServerLimit_ResourceExhausted()
    {
        using var channel = new RpcChannel(Host.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            CollectAsync(channel, new EchoRequest { Payload = ByteString.CopyFrom(new byte[ServerLimit + 1]) }));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains($"vs. {ServerLimit}", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MoveNextAsync_BadCompressedFlag_InternalNamingTheFlag()
    {
        using var raw = new RawGrpcClient(Host.Address);

        RawGrpcClient.RawResponse response = await raw.PostAsync("/test.v1.Echo/Collect", RawGrpcClient.Frame([1, 2, 3], flag: 2));

        Assert.Equal((int)StatusCode.Internal, response.GrpcStatus);
    }

    [Fact]
    public async Task MoveNextAsync_BodyEndsInsideAFrame_Internal()
    {
        using var raw = new RawGrpcClient(Host.Address);
        byte[] frame = RawGrpcClient.Frame(new EchoRequest { Text = "cut" }.ToByteArray());

        RawGrpcClient.RawResponse response = await raw.PostAsync("/test.v1.Echo/Collect", frame[..^2]);

        Assert.Equal((int)StatusCode.Internal, response.GrpcStatus);
    }

    [Fact]
    public async Task MoveNextAsync_BytesThatAreNotTheMessage_HandlerStatusReachesTheClient()
    {
        using var raw = new RawGrpcClient(Host.Address);

        // Field 1 (text) claims 100 bytes but the message ends after 1: the handler's parse fails.
        RawGrpcClient.RawResponse response = await raw.PostAsync("/test.v1.Echo/Collect", RawGrpcClient.Frame([0x0A, 100, 0x41]));

        Assert.Equal((int)StatusCode.InvalidArgument, response.GrpcStatus);
    }

    private static async Task<EchoReply> CollectAsync(RpcChannel channel, params EchoRequest[] requests)
    {
        using var call = channel.ClientStreaming(EchoMethods.Collect, CallOptions.WithTimeout(TimeSpan.FromSeconds(10)));
        foreach (EchoRequest request in requests)
        {
            await call.RequestStream.WriteAsync(request);
        }

        await call.RequestStream.CompleteAsync();
        return await call.ResponseAsync;
    }

    private static async Task<EchoReply> CollectAsync(RawMessageReader requests, ServerCallContext context)
    {
        var texts = new List<string>();
        while (await requests.MoveNextAsync(context.CancellationToken))
        {
            EchoRequest request;
            try
            {
                request = EchoRequest.Parser.ParseFrom(requests.Current);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new RpcException(StatusCode.InvalidArgument, e.Message);
            }

            texts.Add(request.Payload.IsEmpty ? request.Text : $"{request.Text}:{request.Payload.Length}");
        }

        return new EchoReply { Text = string.Join(',', texts), Count = texts.Count };
    }
}
