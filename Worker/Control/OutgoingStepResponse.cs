using System.Runtime.InteropServices;
using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training.Collective;
using Grpc.Core;

namespace DistributedTrainer.Worker.Control;

/// <summary>
/// A trainer.v1.StepResponse as the worker writes it: a piece of the mean gradient, written by hand from the vector
/// itself (one copy, into the response's buffer: no ByteString, no intermediate array), or the step's result. Reused
/// for every piece of a step: the stream serializes it before its write returns.
/// </summary>
internal sealed class OutgoingStepResponse
{
    private long _offset;
    private ReadOnlyMemory<float> _gradients;
    private StepResult? _result;

    /// <summary>Makes this the gradient piece <paramref name="values"/> at <paramref name="offset"/> (not copied; only read while written).</summary>
    public OutgoingStepResponse Gradients(long offset, ReadOnlyMemory<float> values)
    {
        (_offset, _gradients, _result) = (offset, values, null);
        return this;
    }

    /// <summary>Makes this the step's result.</summary>
    public OutgoingStepResponse Result(StepResult result)
    {
        (_offset, _gradients, _result) = (0, ReadOnlyMemory<float>.Empty, result);
        return this;
    }

    /// <summary>Forgets the piece or result, so the vector is not held past the step.</summary>
    public void Clear() => (_offset, _gradients, _result) = (0, ReadOnlyMemory<float>.Empty, null);

    /// <summary>The bytes <see cref="WriteHead"/> writes at most.</summary>
    public int HeadSize => _result is { } result ? StepStreamWriter.MessageSize(StepStreamFields.Response, result) : StepStreamWriter.PieceHeadBytes;

    /// <summary>The gradient piece's values, raw little-endian float32, which follow the head; empty for the result.</summary>
    public ReadOnlyMemory<byte> Payload => _gradients.IsEmpty ? ReadOnlyMemory<byte>.Empty : new BytesOfMemory<float>(MemoryMarshal.AsMemory(_gradients)).Memory;

    /// <summary>
    /// Writes the message but its <see cref="Payload"/>, which follows from where it lies; returns the bytes written. The
    /// direct path's serialization (<see cref="DirectStepStream"/>).
    /// </summary>
    public int WriteHead(Span<byte> destination) => _result is { } result
        ? StepStreamWriter.WriteMessage(destination, StepStreamFields.Response, result)
        : StepStreamWriter.WritePieceHead(destination, StepStreamFields.Response, _offset, _gradients.Length * sizeof(float));

    /// <summary>Serializes <paramref name="response"/> as the generated serializer would.</summary>
    public static void Write(OutgoingStepResponse response, SerializationContext context)
    {
        if (response._result is { } result)
        {
            StepStreamWriter.WriteMessage(context, StepStreamFields.Response, result);
        }
        else
        {
            StepStreamWriter.WritePiece(context, StepStreamFields.Response, response._offset, MemoryMarshal.AsBytes(response._gradients.Span));
        }
    }
}
