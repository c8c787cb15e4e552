using DistributedTrainer.Rpc.Internal;
using DistributedTrainer.Tests.Rpc.Echo;
using Google.Protobuf;

namespace DistributedTrainer.Tests.Rpc;

/// <summary>Seeded request bodies mixing valid gRPC frames with every kind of broken one.</summary>
internal static class FuzzBodies
{
    public static byte[] Next(Random random, int maxMessageSize)
    {
        var body = new List<byte>();
        int pieces = random.Next(0, 5);
        for (int i = 0; i < pieces; i++)
        {
            body.AddRange(random.Next(9) switch
            {
                0 => RawGrpcClient.Frame(ValidMessage(random, maxMessageSize)),
                1 => RawGrpcClient.Frame(Garbage(random, random.Next(0, 200))),
                2 => Truncated(random, ValidMessage(random, maxMessageSize)),
                3 => RawGrpcClient.Frame(Garbage(random, random.Next(0, 16)), length: (uint)random.NextInt64(maxMessageSize + 1L, uint.MaxValue + 1L)),
                4 => RawGrpcClient.Frame(GzipCodec.Compress(ValidMessage(random, maxMessageSize)), flag: 1),
                5 => RawGrpcClient.Frame(GzipCodec.Compress(new byte[maxMessageSize + random.Next(1, 1000)]), flag: 1),
                6 => RawGrpcClient.Frame(Garbage(random, random.Next(0, 50)), flag: 1),
                7 => RawGrpcClient.Frame(Garbage(random, random.Next(0, 50)), flag: (byte)random.Next(2, 256)),
                _ => Garbage(random, random.Next(1, 20)),
            });
        }

        return [.. body];
    }

    private static byte[] ValidMessage(Random random, int maxMessageSize) =>
        new EchoRequest { Text = new string('t', random.Next(0, 20)), Payload = ByteString.CopyFrom(Garbage(random, random.Next(0, maxMessageSize + 100))) }.ToByteArray();

    private static byte[] Truncated(Random random, byte[] payload)
    {
        byte[] frame = RawGrpcClient.Frame(payload);
        return frame[..random.Next(1, frame.Length)];
    }

    private static byte[] Garbage(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
