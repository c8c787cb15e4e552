using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using Grpc.Core;

namespace DistributedTrainer.Worker.Control;

/// <summary>
/// A trainer.v1.StepResponse as the worker writes it: a gradient piece, packed (<see cref="PackedFixedPoint"/>) into
/// a buffer kept for the job and written by hand from it into the response's buffer (no ByteString), or the step's
/// result. Reused for every piece of a step: the stream serializes it before its write returns.
/// </summary>
internal sealed class OutgoingStepResponse
{
    private readonly byte[] _packed = new byte[PackedFixedPoint.MaxPackedBytes(RawElements.PerPiece<long>())];
    private long _offset;
    private int _packedLength;
    private StepResult? _result;

    /// <summary>Makes this the gradient piece <paramref name="values"/> at <paramref name="offset"/>, packed.</summary>
    public OutgoingStepResponse Gradients(long offset, ReadOnlySpan<long> values)
    {
        if (values.Length > RawElements.PerPiece<long>())
        {
            throw new ArgumentException($"Invalid values: {values.Length} elements (at most {RawElements.PerPiece<long>()} per piece)", nameof(values));
        }
        (_offset, _packedLength, _result) = (offset, PackedFixedPoint.Pack(values, _packed), null);
        return this;
    }

    /// <summary>Makes this the step's result.</summary>
    public OutgoingStepResponse Result(StepResult result)
    {
        (_offset, _packedLength, _result) = (0, 0, result);
        return this;
    }

    /// <summary>Forgets the piece or result.</summary>
    public void Clear() => (_offset, _packedLength, _result) = (0, 0, null);

    /// <summary>Serializes <paramref name="response"/> as the generated serializer would.</summary>
    public static void Write(OutgoingStepResponse response, SerializationContext context)
    {
        if (response._result is { } result)
        {
            StepStreamWriter.WriteMessage(context, StepStreamFields.Response, result);
        }
        else
        {
            StepStreamWriter.WritePiece(context, StepStreamFields.Response, response._offset, response._packed.AsSpan(0, response._packedLength), packed: true);
        }
    }
}
