using System.Runtime.InteropServices;
using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;
using Grpc.Core;

namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// A trainer.v1.StepRequest as the coordinator writes it: the step's header, or a parameter piece written by hand
/// from the parameter vector itself (one copy, into the call's buffer: no ByteString, no intermediate array). Reused
/// for every message of a worker's steps: the stream serializes it before its write returns.
/// </summary>
internal sealed class OutgoingStepRequest
{
    private StepHeader? _header;
    private long _offset;
    private ReadOnlyMemory<float> _parameters;

    /// <summary>Makes this the step's header.</summary>
    public OutgoingStepRequest Header(StepHeader header)
    {
        (_header, _offset, _parameters) = (header, 0, ReadOnlyMemory<float>.Empty);
        return this;
    }

    /// <summary>Makes this the parameter piece <paramref name="values"/> at <paramref name="offset"/> (not copied; only read while written).</summary>
    public OutgoingStepRequest Parameters(long offset, ReadOnlyMemory<float> values)
    {
        (_header, _offset, _parameters) = (null, offset, values);
        return this;
    }

    /// <summary>Forgets the header or piece, so the vector is not held past the step.</summary>
    public void Clear() => (_header, _offset, _parameters) = (null, 0, ReadOnlyMemory<float>.Empty);

    /// <summary>Serializes <paramref name="request"/> as the generated serializer would.</summary>
    public static void Write(OutgoingStepRequest request, SerializationContext context)
    {
        if (request._header is { } header)
        {
            StepStreamWriter.WriteMessage(context, StepStreamFields.Request, header);
        }
        else
        {
            StepStreamWriter.WritePiece(context, StepStreamFields.Request, request._offset, MemoryMarshal.AsBytes(request._parameters.Span));
        }
    }
}
