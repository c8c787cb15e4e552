using DistributedTrainer.Protos.V1;
using DistributedTrainer.Worker.Direct;
using Google.Protobuf;
using Grpc.Core;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// trainer.v1.Collective/Subscribe served as a <see cref="DirectCall"/>: the next rank's lean client opened a
/// connection for this call alone, and each ring piece leaves as DATA frames whose payload the socket sends straight
/// from the ring's vector.
/// </summary>
internal static class DirectRingStream
{
    /// <summary>The largest subscription request read (a job id and two ranks take a few dozen bytes).</summary>
    private const int MaxRequestBytes = 4 * 1024;

    // The request path of the method served.
    private static readonly string Path = $"/{Protos.V1.Collective.Descriptor.FullName}/Subscribe";

    /// <summary>The method as a direct call serves it, with <paramref name="service"/>'s subscriptions.</summary>
    public static DirectCall.Method Method(CollectiveService service) => new(Path, MaxRequestBytes, (call, callEnded) => ServeAsync(call, service, callEnded));

    // The one request, then the subscription's life, which CollectiveService keeps as it does for the calls Kestrel serves.
    private static async Task ServeAsync(DirectCall call, CollectiveService service, CancellationToken callEnded)
    {
        var (read, request) = await call.ReadMessageAsync(Parse, callEnded);
        if (!read)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "Invalid subscription: the request stream ended before its one RingSubscription"));
        }
        call.Name = $"the subscription of rank {request.ToRank}";
        await service.ServeAsync(request, new RingSubscriber((chunk, cancellationToken) => WriteAsync(call, chunk, cancellationToken), request.ToRank), callEnded);
    }

    private static RingSubscription Parse(System.Buffers.ReadOnlySequence<byte> message)
    {
        try
        {
            return RingSubscription.Parser.ParseFrom(message);
        }
        catch (InvalidProtocolBufferException)
        {
            throw new RpcException(new Status(StatusCode.Internal, "Failed to deserialize request message."));
        }
    }

    // One piece: its fields written into the call's message head, then the payload from the ring's memory.
    private static Task WriteAsync(DirectCall call, OutgoingRingChunk chunk, CancellationToken cancellationToken)
    {
        int fields = chunk.WriteHead(call.MessageHead(chunk.HeadSize));
        return call.WriteMessageAsync(fields, chunk.Payload, cancellationToken);
    }
}
