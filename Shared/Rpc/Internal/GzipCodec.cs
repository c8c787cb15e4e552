using System.Buffers;
using System.IO.Compression;

namespace DistributedTrainer.Rpc.Internal;

/// <summary>gzip for messages sent with the compressed flag and <c>grpc-encoding: gzip</c>.</summary>
internal static class GzipCodec
{
    private const int ChunkSize = 64 * 1024;

    /// <summary>
    /// Decompresses <paramref name="payload"/>, stopping as soon as the output passes
    /// <paramref name="maxSize"/> bytes, so a small zip bomb costs at most the limit in memory.
    /// </summary>
    /// <exception cref="RpcException">RESOURCE_EXHAUSTED over the limit, INTERNAL when the data is not gzip.</exception>
    public static byte[] Decompress(ReadOnlySequence<byte> payload, int maxSize)
    {
        using var input = new MemoryStream(payload.ToArray(), writable: false);
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        byte[] chunk = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            int read;
            while ((read = gzip.Read(chunk, 0, ChunkSize)) > 0)
            {
                if (output.Length + read > maxSize)
                {
                    throw new RpcException(StatusCode.ResourceExhausted, $"Received message larger than max when decompressed (more than {maxSize} bytes)");
                }

                output.Write(chunk, 0, read);
            }
        }
        catch (InvalidDataException)
        {
            throw new RpcException(StatusCode.Internal, "Failed to decompress message: invalid gzip data");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return output.ToArray();
    }

    /// <summary>Compresses <paramref name="data"/> with gzip at the fastest level.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}
