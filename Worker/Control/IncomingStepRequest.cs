using System.Buffers;
using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;
using Grpc.Core;

namespace DistributedTrainer.Worker.Control;

/// <summary>
/// A trainer.v1.StepRequest as the worker reads it (<see cref="Read"/>): the header, parsed; or a parameter piece,
/// its values copied once from the request body into a pooled buffer (returned on <see cref="Dispose"/>) instead of a
/// fresh ByteString per piece; or what is wrong with the bytes, carried to the handler as a value so that it answers
/// with the status it chooses rather than grpc-dotnet's for a marshaller that throws.
/// </summary>
internal sealed class IncomingStepRequest : IDisposable
{
    private byte[]? _rented;
    private readonly int _length;

    private IncomingStepRequest(StepRequest.KindOneofCase kind, StepHeader? header, long offset, byte[]? rented, int length, string? malformed)
    {
        Kind = kind;
        Header = header;
        Offset = offset;
        _rented = rented;
        _length = length;
        Malformed = malformed;
    }

    /// <summary>Which of the oneof's fields the message holds (None for an empty or malformed message).</summary>
    public StepRequest.KindOneofCase Kind { get; }

    /// <summary>The header; null unless <see cref="Kind"/> is Header.</summary>
    public StepHeader? Header { get; }

    /// <summary>A parameter piece's index of its first element in the flat parameter vector.</summary>
    public long Offset { get; }

    /// <summary>A parameter piece's raw little-endian float32 values; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> Values => _rented is null ? [] : _rented.AsSpan(0, _length);

    /// <summary>Why the bytes are not a StepRequest; null when they are.</summary>
    public string? Malformed { get; }

    /// <summary>Reads the message in <paramref name="context"/>; its bytes are valid only during this call.</summary>
    public static IncomingStepRequest Read(DeserializationContext context) => Read(context.PayloadAsReadOnlySequence());

    /// <summary>Reads the message <paramref name="payload"/>; its bytes are valid only during this call.</summary>
    public static IncomingStepRequest Read(ReadOnlySequence<byte> payload)
    {
        if (StepStreamParser.TryParse(payload, StepStreamFields.Request, out StepStreamView<StepHeader> view) is { } malformed)
        {
            return new IncomingStepRequest(StepRequest.KindOneofCase.None, null, 0, null, 0, malformed);
        }

        var kind = (StepRequest.KindOneofCase)view.Field;
        if (kind != StepRequest.KindOneofCase.Parameters)
        {
            return new IncomingStepRequest(kind, view.Message, 0, null, 0, null);
        }

        int length = checked((int)view.Values.Length);
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        view.Values.CopyTo(rented);
        return new IncomingStepRequest(kind, null, view.Offset, rented, length, null);
    }

    /// <summary>Fails the call as a generated parser does for bytes that are not the message: INTERNAL.</summary>
    /// <exception cref="RpcException">The bytes were malformed.</exception>
    public void ThrowIfMalformed()
    {
        if (Malformed is not null)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"Failed to parse StepRequest: {Malformed}"));
        }
    }

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
        }
    }
}
