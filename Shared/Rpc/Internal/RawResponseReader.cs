using System.Buffers;
using Google.Protobuf;

namespace DistributedTrainer.Rpc.Internal;

/// <summary>The response stream of a raw-response call: each message's serialized bytes, read by <see cref="ClientCall{TRequest, TResponse}.MoveNextRaw"/>.</summary>
internal sealed class RawResponseReader<TRequest, TResponse>(ClientCall<TRequest, TResponse> call) : IAsyncStreamReader<ReadOnlySequence<byte>>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    public ReadOnlySequence<byte> Current => call.RawCurrent;

    public Task<bool> MoveNext(CancellationToken cancellationToken = default) => call.MoveNextRaw(cancellationToken);
}
