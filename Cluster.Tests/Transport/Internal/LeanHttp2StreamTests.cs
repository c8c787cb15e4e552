using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DistributedTrainer.Transport.Internal;
using static DistributedTrainer.Tests.Transport.Http2Frames;
using Xunit;

namespace DistributedTrainer.Tests.Transport.Internal;

/// <summary>
/// <see cref="LeanHttp2Handler"/> against a scripted HTTP/2 server that writes the frames Kestrel does not (PING,
/// CONTINUATION, padding, priority, unknown types, resets) byte by byte, and records what the client writes back.
/// </summary>
public sealed class LeanHttp2StreamTests
{
    private const byte Data = 0x0, Headers = 0x1, Priority = 0x2, RstStream = 0x3, Settings = 0x4, Ping = 0x6, WindowUpdate = 0x8, Continuation = 0x9;
    private const byte EndStream = 0x1, Ack = 0x1, EndHeaders = 0x4, Padded = 0x8, PriorityFlag = 0x20;

    // HPACK: ":status: 200" from the static table.
    private static readonly byte[] Status200 = [0x88];

    [Fact]
    public async Task Read_EveryFrameKindAServerMaySend_BodyHeadersAndTrailersArriveWhole()
    {
        byte[] ping = [1, 2, 3, 4, 5, 6, 7, 8];
        byte[] trailerBlock = [0x10, .. HpackString("x-trailer"), .. HpackString("done")];
        byte[] paddedTrailers = [2, 0, 0, 0, 0, 16, .. trailerBlock, 0, 0];
        await using var server = ScriptedServer.Start(
            Frame(Settings, 0, 0, [0, 3, 0, 0, 0, 100]),
            Frame(Ping, 0, 0, ping),
            Frame(Headers, 0, 1, [0x20, .. Status200]),
            Frame(Continuation, EndHeaders, 1, [0x40, .. HpackString("x-first"), .. HpackString("one")]),
            Frame(WindowUpdate, 0, 0, [0, 0, 0, 100]),
            Frame(0xEE, 0, 1, [9, 9, 9, 9, 9]),
            Frame(Data, Padded, 1, [3, .. "hello "u8, 0, 0, 0]),
            Frame(Priority, 0, 1, [0, 0, 0, 0, 16]),
            Frame(Data, 0, 1, "world"u8),
            Frame(Headers, EndStream | EndHeaders | Padded | PriorityFlag, 1, paddedTrailers));

        using var client = new HttpClient(new LeanHttp2Handler(TimeSpan.FromSeconds(10)));
        using HttpResponseMessage response = await client.SendAsync(Request(server), HttpCompletionOption.ResponseHeadersRead);
        string body = await response.Content.ReadAsStringAsync();
        response.Dispose();
        List<ReceivedFrame> written = await server.ClientFramesAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("one", Assert.Single(response.Headers.GetValues("x-first")));
        Assert.Equal("hello world", body);
        Assert.Equal("done", Assert.Single(response.TrailingHeaders.GetValues("x-trailer")));
        Assert.Contains(written, f => f.Type == Settings && f.Flags == Ack);
        Assert.Contains(written, f => f.Type == Ping && f.Flags == Ack && f.Payload.SequenceEqual(ping));
    }

    [Fact]
    public async Task SendAsync_Request_AsksForTheLargestFramesAndNoHeaderTable()
    {
        await using var server = ScriptedServer.Start(Frame(Headers, EndHeaders | EndStream, 1, Status200));

        using var client = new HttpClient(new LeanHttp2Handler(TimeSpan.FromSeconds(10)));
        using HttpResponseMessage response = await client.SendAsync(Request(server), HttpCompletionOption.ResponseHeadersRead);
        ReceivedFrame settings = server.RequestFrames.First(f => f.Type == Settings);
        var values = new Dictionary<int, uint>();
        for (int at = 0; at + 6 <= settings.Payload.Length; at += 6)
        {
            values[BinaryPrimitives.ReadUInt16BigEndian(settings.Payload.AsSpan(at))] = BinaryPrimitives.ReadUInt32BigEndian(settings.Payload.AsSpan(at + 2));
        }

        Assert.Equal((1u << 24) - 1, values[0x5]);
        Assert.Equal(0u, values[0x1]);
        Assert.Equal(0u, values[0x2]);
        Assert.Equal("payload", Encoding.ASCII.GetString([.. server.RequestFrames.Where(f => f.Type == Data).SelectMany(f => f.Payload)]));
    }

    [Fact]
    public async Task SendAsync_InsideAnActivity_SendsItsTraceContext()
    {
        await using var server = ScriptedServer.Start(Frame(Headers, EndHeaders | EndStream, 1, Status200));
        using Activity activity = new Activity("call").SetIdFormat(ActivityIdFormat.W3C).Start();

        using var client = new HttpClient(new LeanHttp2Handler(TimeSpan.FromSeconds(10)));
        using HttpResponseMessage response = await client.SendAsync(Request(server), HttpCompletionOption.ResponseHeadersRead);
        List<KeyValuePair<string, string>> headers = HPack.Read(server.RequestFrames.First(f => f.Type == Headers).Payload);

        Assert.Contains(headers, h => h.Key == "traceparent" && h.Value.Contains(activity.TraceId.ToHexString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task SendAsync_HuffmanCodedHeader_FailsNamingIt()
    {
        await using var server = ScriptedServer.Start(Frame(Headers, EndHeaders, 1, [.. Status200, 0x00, .. HpackString("x-h"), 0x83, 0xAA, 0xBB, 0xCC]));

        using var client = new HttpClient(new LeanHttp2Handler(TimeSpan.FromSeconds(10)));
        HttpRequestException failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Request(server), HttpCompletionOption.ResponseHeadersRead));

        Assert.Contains("Huffman", failure.Message);
    }

    [Fact]
    public async Task Read_ServerClosesInsideADataFrame_FailsInsteadOfWaiting()
    {
        byte[] cut = Frame(Data, 0, 1, new byte[100])[..(9 + 10)];
        await using var server = ScriptedServer.Start(Frame(Headers, EndHeaders, 1, Status200), cut);

        using var client = new HttpClient(new LeanHttp2Handler(TimeSpan.FromSeconds(10)));
        using HttpResponseMessage response = await client.SendAsync(Request(server), HttpCompletionOption.ResponseHeadersRead);
        await server.CloseAsync();
        Stream body = await response.Content.ReadAsStreamAsync();

        IOException failure = await Assert.ThrowsAsync<IOException>(() => body.CopyToAsync(Stream.Null).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("closed the connection", failure.Message);
    }

    [Fact]
    public async Task Read_ServerResetsTheStream_FailsWithTheErrorCode()
    {
        await using var server = ScriptedServer.Start(Frame(Headers, EndHeaders, 1, Status200), Frame(Data, 0, 1, "abc"u8), Frame(RstStream, 0, 1, [0, 0, 0, 8]));

        using var client = new HttpClient(new LeanHttp2Handler(TimeSpan.FromSeconds(10)));
        using HttpResponseMessage response = await client.SendAsync(Request(server), HttpCompletionOption.ResponseHeadersRead);
        Stream body = await response.Content.ReadAsStreamAsync();

        IOException failure = await Assert.ThrowsAsync<IOException>(() => body.CopyToAsync(Stream.Null).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("error code 8", failure.Message);
    }

    [Fact]
    public async Task Read_NineMegabytesInMegabyteFrames_ExactBytesAndTheWindowIsGivenBack()
    {
        byte[] body = new byte[9 * 1024 * 1024];
        new Random(11).NextBytes(body);
        var frames = new List<byte[]> { Frame(Headers, EndHeaders, 1, Status200) };
        for (int at = 0; at < body.Length; at += 1024 * 1024)
        {
            frames.Add(Frame(Data, 0, 1, body.AsSpan(at, 1024 * 1024)));
        }
        frames.Add(Frame(Headers, EndHeaders | EndStream, 1, [0x00, .. HpackString("grpc-status"), .. HpackString("0")]));
        await using var server = ScriptedServer.Start([.. frames]);

        using var client = new HttpClient(new LeanHttp2Handler(TimeSpan.FromSeconds(10)));
        using HttpResponseMessage response = await client.SendAsync(Request(server), HttpCompletionOption.ResponseHeadersRead);
        var received = new MemoryStream();
        await (await response.Content.ReadAsStreamAsync()).CopyToAsync(received, 100_000);
        response.Dispose();
        List<ReceivedFrame> written = await server.ClientFramesAsync();

        Assert.True(received.ToArray().AsSpan().SequenceEqual(body), "the body differs from the bytes sent");
        Assert.Equal("0", Assert.Single(response.TrailingHeaders.GetValues("grpc-status")));
        long Returned(int stream) => written.Where(f => f.Type == WindowUpdate && f.Stream == stream).Sum(f => (long)BinaryPrimitives.ReadUInt32BigEndian(f.Payload));
        Assert.InRange(Returned(0), 8 * 1024 * 1024, body.Length);
        Assert.Equal(Returned(0), Returned(1));
    }

    private static HttpRequestMessage Request(ScriptedServer server) =>
        new(HttpMethod.Post, server.Address) { Content = new ByteArrayContent("payload"u8.ToArray()), Version = HttpVersion.Version20 };

    /// <summary>
    /// One connection on 127.0.0.1: reads the client's preface and request (up to the frame that ends stream 1),
    /// writes the script, then records every frame the client writes until it closes the connection.
    /// </summary>
    private sealed class ScriptedServer : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly Task<List<ReceivedFrame>> _run;
        private readonly TaskCompletionSource _close = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<ReceivedFrame> _requestFrames = [];

        private ScriptedServer(TcpListener listener, byte[][] script)
        {
            _listener = listener;
            Address = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/test.v1.Echo/Say");
            _run = RunAsync(script);
        }

        public Uri Address { get; }

        /// <summary>The frames of the client's request (after the preface), up to the one that ended stream 1.</summary>
        public IReadOnlyList<ReceivedFrame> RequestFrames => _requestFrames;

        public static ScriptedServer Start(params byte[][] script)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return new ScriptedServer(listener, script);
        }

        /// <summary>The frames the client wrote after the request, once it has closed the connection.</summary>
        public Task<List<ReceivedFrame>> ClientFramesAsync() => _run.WaitAsync(TimeSpan.FromSeconds(30));

        /// <summary>Closes the connection once the script is written.</summary>
        public async Task CloseAsync()
        {
            _close.TrySetResult();
            await _run.WaitAsync(TimeSpan.FromSeconds(30));
        }

        public async ValueTask DisposeAsync()
        {
            _close.TrySetResult();
            _listener.Stop();
            try
            {
                await _run.WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                // A test that failed the client early leaves the script half written.
            }
        }

        private async Task<List<ReceivedFrame>> RunAsync(byte[][] script)
        {
            using Socket socket = await _listener.AcceptSocketAsync();
            await using var stream = new NetworkStream(socket);
            byte[] preface = new byte[24];
            await stream.ReadExactlyAsync(preface);
            while (await ReadAsync(stream) is { } frame)
            {
                _requestFrames.Add(frame);
                if (frame.Stream == 1 && (frame.Flags & EndStream) != 0 && frame.Type is Headers or Data)
                {
                    break;
                }
            }

            var written = new List<ReceivedFrame>();
            Task<List<ReceivedFrame>> reading = Task.Run(async () =>
            {
                while (await ReadAsync(stream) is { } frame)
                {
                    written.Add(frame);
                }
                return written;
            });
            Task closing = _close.Task;
            foreach (byte[] frame in script)
            {
                await stream.WriteAsync(frame);
            }
            if (await Task.WhenAny(reading, closing) == closing)
            {
                socket.Shutdown(SocketShutdown.Both);
                socket.Close();
                try
                {
                    await reading;
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
                {
                    // The connection was closed under the reader, as asked.
                }
                return written;
            }
            return await reading;
        }
    }
}
