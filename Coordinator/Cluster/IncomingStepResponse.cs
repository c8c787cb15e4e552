using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;
using Grpc.Core;

namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// A trainer.v1.StepResponse as the coordinator reads it (<see cref="Read"/>): a gradient piece is copied into the
/// call's <see cref="GradientSink"/> while the message's bytes are at hand (they are valid only then), so it is never
/// parsed into a ByteString; the result is parsed. What is wrong travels as a value to the caller, which fails the
/// call with its own error, rather than as an exception from the marshaller, which grpc-dotnet would replace.
/// </summary>
internal sealed class IncomingStepResponse
{
    private IncomingStepResponse(StepResponse.KindOneofCase kind, StepResult? result, string? malformed, string? invalid)
    {
        Kind = kind;
        Result = result;
        Malformed = malformed;
        Invalid = invalid;
    }

    /// <summary>Which of the oneof's fields the message holds (None for an empty or malformed message).</summary>
    public StepResponse.KindOneofCase Kind { get; }

    /// <summary>The step's result; null unless <see cref="Kind"/> is Result.</summary>
    public StepResult? Result { get; }

    /// <summary>Why the bytes are not a StepResponse; null when they are.</summary>
    public string? Malformed { get; }

    /// <summary>Why the gradient piece does not fit the segment (<see cref="GradientSink.Accept"/>); null when it was taken.</summary>
    public string? Invalid { get; }

    /// <summary>Reads the message in <paramref name="context"/>, copying a gradient piece into <paramref name="sink"/>.</summary>
    public static IncomingStepResponse Read(DeserializationContext context, GradientSink sink)
    {
        if (StepStreamParser.TryParse(context.PayloadAsReadOnlySequence(), StepStreamFields.Response, out StepStreamView<StepResult> view) is { } malformed)
        {
            return new IncomingStepResponse(StepResponse.KindOneofCase.None, null, malformed, null);
        }

        var kind = (StepResponse.KindOneofCase)view.Field;
        return kind == StepResponse.KindOneofCase.Gradients
            ? new IncomingStepResponse(kind, null, null, sink.Accept(view.Offset, view.Values))
            : new IncomingStepResponse(kind, view.Message, null, null);
    }
}
