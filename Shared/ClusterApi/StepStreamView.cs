using System.Buffers;

namespace DistributedTrainer.ClusterApi;

/// <summary>A Step stream message as <see cref="StepStreamParser"/> reads it.</summary>
/// <typeparam name="TMessage">The oneof's ordinary message (StepHeader, StepResult).</typeparam>
/// <param name="Field">The oneof field the message holds (its number, which is also the generated KindOneofCase value); 0 for none.</param>
/// <param name="Offset">A piece's index of its first element in the flat vector.</param>
/// <param name="Values">A piece's raw little-endian elements, where they lie in the received bytes (not copied).</param>
/// <param name="Message">The ordinary message, parsed; null unless <paramref name="Field"/> is its field.</param>
public readonly record struct StepStreamView<TMessage>(int Field, long Offset, ReadOnlySequence<byte> Values, TMessage? Message)
    where TMessage : class;
