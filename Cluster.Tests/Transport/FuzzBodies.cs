using System.IO.Compression;
using Google.Protobuf;

namespace DistributedTrainer.Tests.Transport;

/// <summary>Seeded request bodies mixing valid gRPC frames of a message with every kind of broken one.</summary>
internal static class FuzzBodies
{
    /// <param name="random">The seeded source.</param>
    /// <param name="validMessage">A valid request message of the method called, at most about the given size.</param>
    /// <param name="maxMessageSize">The server's receive limit; some frames claim or carry more.</param>
    public static byte[] Next(Random random, Func<Random, IMessage> validMessage, int maxMessageSize)
    {
        var body = new List<byte>();
        int pieces = random.Next(0, 5);
        for (int i = 0; i < pieces; i++)
        {
            body.AddRange(random.Next(10) switch
            {
                0 => RawGrpcClient.Frame(validMessage(random).ToByteArray()),
                1 => RawGrpcClient.Frame(Garbage(random, random.Next(0, 200))),
                2 => Truncated(random, validMessage(random).ToByteArray()),
                3 => RawGrpcClient.Frame(Garbage(random, random.Next(0, 16)), length: (uint)random.NextInt64(maxMessageSize + 1L, uint.MaxValue + 1L)),
                4 => RawGrpcClient.Frame(Gzip(validMessage(random).ToByteArray()), flag: 1),
                5 => RawGrpcClient.Frame(Gzip(new byte[maxMessageSize + random.Next(1, 1000)]), flag: 1),
                6 => RawGrpcClient.Frame(Garbage(random, random.Next(0, 50)), flag: 1),
                7 => RawGrpcClient.Frame(Garbage(random, random.Next(0, 50)), flag: (byte)random.Next(2, 256)),
                8 => RawGrpcClient.Frame(Garbage(random, random.Next(maxMessageSize / 2, maxMessageSize + 100))),
                _ => Garbage(random, random.Next(1, 20)),
            });
        }
        return [.. body];
    }

    public static byte[] Garbage(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }
        return output.ToArray();
    }

    private static byte[] Truncated(Random random, byte[] payload)
    {
        byte[] frame = RawGrpcClient.Frame(payload);
        return frame[..random.Next(1, frame.Length)];
    }
}
