using System.IO.Compression;
using System.Net;
using DistributedTrainer.Rpc;
using DistributedTrainer.Tests.Rpc.Echo;
using Google.Protobuf;
using Xunit;

namespace DistributedTrainer.Tests.Rpc;

/// <summary>What the server answers to requests a well-behaved client would not send, seen on the wire.</summary>
public sealed class GrpcRouterTests(EchoServerFixture server) : IClassFixture<EchoServerFixture>, IDisposable
{
    private readonly RawGrpcClient _raw = new(server.Host.Address);

    public void Dispose() => _raw.Dispose();

    [Fact]
    public async Task Dispatch_UnknownService_TrailersOnlyUnimplemented()
    {
        RawGrpcClient.RawResponse response = await _raw.PostAsync("/nope.v1.Missing/Call", RawGrpcClient.Frame([]));

        Assert.Equal((12, true), (response.GrpcStatus, response.IsTrailersOnly));
    }

    [Fact]
    public async Task Dispatch_UnboundMethodOfServedService_Unimplemented()
    {
        var router = new GrpcRouter();
        router.AddService(new GrpcServiceBuilder(EchoReflection.Descriptor.Services[0])
            .Unary<EchoRequest, EchoReply>("Say", (r, c) => Task.FromResult(new EchoReply())).Build());
        await using GrpcHost host = await GrpcHost.StartAsync(router);
        using var channel = new RpcChannel(host.Address);

        using DuplexStreamingCall<EchoRequest, EchoReply> call = channel.DuplexStreaming(EchoMethods.Chat, CallOptions.WithTimeout(TimeSpan.FromSeconds(10)));

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Fact]
    public async Task Dispatch_HandlerFailsBeforeAnyMessage_TrailersOnly()
    {
        byte[] request = new EchoRequest { FailCode = (int)StatusCode.NotFound }.ToByteArray();

        RawGrpcClient.RawResponse response = await _raw.PostAsync("/test.v1.Echo/Say", RawGrpcClient.Frame(request));

        Assert.Equal((5, true), (response.GrpcStatus, response.IsTrailersOnly));
    }

    [Fact]
    public async Task Dispatch_Success_StatusInTrailers()
    {
        byte[] request = new EchoRequest { Text = "t" }.ToByteArray();

        RawGrpcClient.RawResponse response = await _raw.PostAsync("/test.v1.Echo/Say", RawGrpcClient.Frame(request));

        Assert.Equal(("0", null), (response.TrailerStatus, response.HeaderStatus));
    }

    [Fact]
    public async Task Dispatch_Response_AdvertisesAcceptedEncodings()
    {
        RawGrpcClient.RawResponse response = await _raw.PostAsync("/test.v1.Echo/Say", RawGrpcClient.Frame([]));

        Assert.Equal("identity,gzip", response.AcceptEncoding);
    }

    [Fact]
    public async Task Dispatch_WrongContentType_Http415()
    {
        RawGrpcClient.RawResponse response = await _raw.PostAsync("/test.v1.Echo/Say", RawGrpcClient.Frame([]), "application/json");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.HttpStatus);
    }

    [Fact]
    public async Task Dispatch_LengthPrefixOverLimit_ResourceExhaustedWithoutWaitingForTheBytes()
    {
        byte[] body = RawGrpcClient.Frame(new byte[10], length: uint.MaxValue);

        RawGrpcClient.RawResponse response = await _raw.PostAsync("/test.v1.Echo/Collect", body);

        Assert.Equal(8, response.GrpcStatus);
    }

    [Fact]
    public async Task Dispatch_TruncatedFrame_Internal()
    {
        byte[] body = RawGrpcClient.Frame(new byte[10], length: 100);

        RawGrpcClient.RawResponse response = await _raw.PostAsync("/test.v1.Echo/Say", body);

        Assert.Equal(13, response.GrpcStatus);
    }

    [Fact]
    public async Task Dispatch_UnaryWithTwoMessages_Internal()
    {
        byte[] body = [.. RawGrpcClient.Frame([]), .. RawGrpcClient.Frame([])];

        RawGrpcClient.RawResponse response = await _raw.PostAsync("/test.v1.Echo/Say", body);

        Assert.Equal(13, response.GrpcStatus);
    }

    [Fact]
    public async Task Dispatch_UnknownEncoding_Unimplemented()
    {
        RawGrpcClient.RawResponse response = await _raw.PostAsync("/test.v1.Echo/Say", RawGrpcClient.Frame([], flag: 1), headers: ("grpc-encoding", "snappy"));

        Assert.Equal(12, response.GrpcStatus);
    }

    [Fact]
    public async Task Dispatch_CompressedFlagWithoutEncoding_Internal()
    {
        RawGrpcClient.RawResponse response = await _raw.PostAsync("/test.v1.Echo/Say", RawGrpcClient.Frame([1, 2], flag: 1));

        Assert.Equal(13, response.GrpcStatus);
    }

    [Fact]
    public async Task Dispatch_GzipMessage_Decompressed()
    {
        byte[] compressed = Gzip(new EchoRequest { Text = "zipped" }.ToByteArray());

        RawGrpcClient.RawResponse response = await _raw.PostAsync("/test.v1.Echo/Say", RawGrpcClient.Frame(compressed, flag: 1), headers: ("grpc-encoding", "gzip"));

        Assert.Equal("zipped", EchoReply.Parser.ParseFrom(response.Body.AsSpan(5)).Text);
    }

    [Fact]
    public async Task Dispatch_GzipBomb_ResourceExhausted()
    {
        byte[] bomb = Gzip(new byte[64 * 1024 * 1024]);

        RawGrpcClient.RawResponse response = await _raw.PostAsync("/test.v1.Echo/Say", RawGrpcClient.Frame(bomb, flag: 1), headers: ("grpc-encoding", "gzip"));

        Assert.Equal(8, response.GrpcStatus);
    }

    [Fact]
    public async Task Dispatch_InvalidTimeout_Internal()
    {
        RawGrpcClient.RawResponse response = await _raw.PostAsync("/test.v1.Echo/Say", RawGrpcClient.Frame([]), headers: ("grpc-timeout", "123456789S"));

        Assert.Equal(13, response.GrpcStatus);
    }

    [Fact]
    public async Task Dispatch_GarbageMessage_Internal()
    {
        RawGrpcClient.RawResponse response = await _raw.PostAsync("/test.v1.Echo/Say", RawGrpcClient.Frame([0xFF, 0xFF, 0xFF]));

        Assert.Equal(13, response.GrpcStatus);
    }

    [Fact]
    public async Task Dispatch_NonGrpcRequestToOtherPath_PassesToNextMiddleware()
    {
        RawGrpcClient.RawResponse response = await _raw.PostAsync("/healthz", [], "text/plain");

        Assert.Equal(HttpStatusCode.NotFound, response.HttpStatus);
    }

    [Fact]
    public async Task Interceptor_ThrowsUnauthenticated_CallRejected()
    {
        await using GrpcHost host = await StartWithTokenInterceptor("s3cret");
        using var channel = new RpcChannel(host.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoMethods.Say, new EchoRequest()));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task Interceptor_Passes_CallServed()
    {
        await using GrpcHost host = await StartWithTokenInterceptor("s3cret");
        using var channel = new RpcChannel(host.Address);

        EchoReply reply = await channel.UnaryAsync(EchoMethods.Say, new EchoRequest { Text = "in" }, new CallOptions(Headers: new Metadata().Add("x-token", "s3cret")));

        Assert.Equal("in", reply.Text);
    }

    [Fact]
    public async Task Dispatch_MessagesLargerThanTheFlowControlWindows_RoundTrip()
    {
        const int size = 40 * 1024 * 1024;
        var router = new GrpcRouter(new GrpcServerOptions { MaxReceiveMessageSize = size + 1024 });
        router.AddService(new EchoService().Definition);
        await using GrpcHost host = await GrpcHost.StartAsync(router);
        using var channel = new RpcChannel(host.Address, new RpcChannelOptions { MaxReceiveMessageSize = size + 1024 });
        byte[] payload = new byte[size];
        new Random(5).NextBytes(payload);

        EchoReply reply = await channel.UnaryAsync(EchoMethods.Say, new EchoRequest { Payload = ByteString.CopyFrom(payload) }, CallOptions.WithTimeout(TimeSpan.FromSeconds(30)));

        Assert.True(payload.AsSpan().SequenceEqual(reply.Payload.Span));
    }

    [Fact]
    public void AddService_SameServiceTwice_Throws()
    {
        var router = new GrpcRouter();
        router.AddService(new EchoService().Definition);

        Assert.Throws<ArgumentException>(() => router.AddService(new EchoService().Definition));
    }

    [Fact]
    public void Constructor_NonPositiveMaxReceiveSize_Throws()
    {
        Assert.Throws<ArgumentException>(() => new GrpcRouter(new GrpcServerOptions { MaxReceiveMessageSize = 0 }));
    }

    private static async Task<GrpcHost> StartWithTokenInterceptor(string token)
    {
        var router = new GrpcRouter(new GrpcServerOptions
        {
            Interceptor = context => context.RequestHeaders.GetValue("x-token") == token
                ? Task.CompletedTask
                : throw new RpcException(StatusCode.Unauthenticated, "Missing or wrong token"),
        });
        router.AddService(new EchoService().Definition);
        return await GrpcHost.StartAsync(router);
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}
