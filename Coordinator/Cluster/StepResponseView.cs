using System.Buffers;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>A trainer.v1.StepResponse as <see cref="StepResponseParser"/> reads it.</summary>
/// <param name="Kind">Which of the oneof's fields the message holds (None for an empty message).</param>
/// <param name="Offset">A gradient piece's index of its first element in the flat gradient vector.</param>
/// <param name="Values">A gradient piece's raw little-endian int64 sums, where they lie in the received bytes.</param>
/// <param name="Result">The step's result, parsed; null unless <paramref name="Kind"/> is Result.</param>
internal readonly record struct StepResponseView(StepResponse.KindOneofCase Kind, long Offset, ReadOnlySequence<byte> Values, StepResult? Result);
