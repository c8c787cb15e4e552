using Grpc.Core;
using Grpc.Net.Client;

namespace DistributedTrainer.Tests.Worker;

/// <summary>Calls that send bytes as they are, e.g. bytes that are not the method's message.</summary>
internal static class RawGrpcMethods
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(bytes => bytes, bytes => bytes);

    /// <summary>A client-streaming call of <paramref name="service"/>/<paramref name="method"/> sending <paramref name="messages"/>; its answer's bytes.</summary>
    public static async Task<byte[]> ClientStreamingAsync(GrpcChannel channel, string service, string method, params byte[][] messages)
    {
        using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(
            new Method<byte[], byte[]>(MethodType.ClientStreaming, service, method, Bytes, Bytes), null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)));
        try
        {
            foreach (byte[] message in messages)
            {
                await call.RequestStream.WriteAsync(message);
            }
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The server ended the call before taking every message: its status comes with the answer.
        }
        return await call.ResponseAsync;
    }

    /// <summary>A duplex call of <paramref name="service"/>/<paramref name="method"/> sending <paramref name="messages"/>; the answers' bytes.</summary>
    public static async Task<List<byte[]>> DuplexStreamingAsync(GrpcChannel channel, string service, string method, params byte[][] messages)
    {
        // Cancelled rather than given a deadline, which would leave a worker's Step call to Kestrel (DirectCall.StartIn).
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(
            new Method<byte[], byte[]>(MethodType.DuplexStreaming, service, method, Bytes, Bytes), null, new CallOptions(cancellationToken: timeout.Token));
        try
        {
            foreach (byte[] message in messages)
            {
                await call.RequestStream.WriteAsync(message);
            }
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // As above: the status comes with the answers.
        }
        var answers = new List<byte[]>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            answers.Add(call.ResponseStream.Current);
        }
        return answers;
    }
}
