using System.Runtime.InteropServices;
using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;
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
