using System.Buffers.Binary;
using System.Net.Sockets;
using DistributedTrainer.Tests.Transport.Echo;
using DistributedTrainer.Transport;
using Google.Protobuf;
using Xunit;
using static DistributedTrainer.Tests.Transport.Http2Frames;

namespace DistributedTrainer.Tests.Transport;

/// <summary>What the project's Kestrel settings (<see cref="GrpcKestrel"/>) put on the wire, seen by a client written frame by frame.</summary>
public sealed class GrpcKestrelTests
{
    private const byte Data = 0x0, Headers = 0x1, Settings = 0x4, WindowUpdate = 0x8;
    private const byte EndStream = 0x1, Ack = 0x1, EndHeaders = 0x4;

    [Fact]
    public async Task Response_ToAClientThatAllowsLargeFrames_ComesInFramesAboveTheDefaultUpToMaxFrameSize()
    {
        await using EchoServer server = await EchoServer.StartAsync();
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", server.Address.Port);
        await using var stream = new NetworkStream(socket);
        byte[] payload = new byte[600 * 1024];
        Random.Shared.NextBytes(payload);
        byte[] message = new EchoRequest { Text = "frames", Payload = ByteString.CopyFrom(payload) }.ToByteArray();

        await stream.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        // SETTINGS_INITIAL_WINDOW_SIZE (4) and SETTINGS_MAX_FRAME_SIZE (5) of 16 MiB - 1, and as large a connection window.
        await stream.WriteAsync(Frame(Settings, 0, 0, [0, 4, 0x00, 0xFF, 0xFF, 0xFF, 0, 5, 0x00, 0xFF, 0xFF, 0xFF]));
        await stream.WriteAsync(Frame(WindowUpdate, 0, 0, [0x00, 0xFF, 0x00, 0x00]));
        byte[] headerBlock =
        [
            0x83, 0x86, // :method POST, :scheme http (static table)
            .. Literal(4, "/test.v1.Echo/Say"), .. Literal(1, $"127.0.0.1:{server.Address.Port}"), .. Literal(31, "application/grpc"),
            0x00, .. HpackString("te"), .. HpackString("trailers"),
        ];
        await stream.WriteAsync(Frame(Headers, EndHeaders, 1, headerBlock));
        byte[] body = [0, .. BigEndian(message.Length), .. message];
        for (int offset = 0; offset < body.Length; offset += 16 * 1024)
        {
            int length = Math.Min(16 * 1024, body.Length - offset);
            await stream.WriteAsync(Frame(Data, offset + length == body.Length ? EndStream : (byte)0, 1, body.AsSpan(offset, length)));
        }

        var dataFrames = new List<int>();
        var response = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            (byte type, byte flags, int streamId, byte[] framePayload) = await ReadAsync(stream, timeout.Token)
                ?? throw new EndOfStreamException("Kestrel closed the connection before the reply's trailers");
            if (type == Settings && (flags & Ack) == 0)
            {
                await stream.WriteAsync(Frame(Settings, Ack, 0, []), timeout.Token);
            }
            else if (type == Data && streamId == 1)
            {
                dataFrames.Add(framePayload.Length);
                response.Write(framePayload);
            }
            else if (type == Headers && streamId == 1 && (flags & EndStream) != 0)
            {
                break;
            }
        }

        byte[] reply = response.ToArray();
        Assert.Equal(reply.Length - 5, BinaryPrimitives.ReadInt32BigEndian(reply.AsSpan(1)));
        Assert.Equal(payload, EchoReply.Parser.ParseFrom(reply.AsSpan(5)).Payload.ToByteArray());
        Assert.All(dataFrames, length => Assert.InRange(length, 0, GrpcKestrel.MaxFrameSize));
        // Kestrel's default (16 KiB) would have cut the reply into about 38 frames.
        Assert.InRange(dataFrames.Max(), 16 * 1024 + 1, GrpcKestrel.MaxFrameSize);
    }

    // A literal header field without indexing, its name from the static table (the index a 4-bit prefix integer).
    private static byte[] Literal(byte nameIndex, string value) =>
        nameIndex < 15 ? [nameIndex, .. HpackString(value)] : [0x0F, (byte)(nameIndex - 15), .. HpackString(value)];

    private static byte[] BigEndian(int value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }
}
