using System.Buffers;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// The fields of a received trainer.v1.RingChunk, read from its serialized bytes by <see cref="RingChunkParser"/>;
/// the payload still lies in the request body (valid until the next message is read). <see cref="SharedMemory"/>: the
/// chunk that moves the stream's pieces to the receiver's shared-memory inbox.
/// </summary>
internal readonly record struct RingChunkView(
    string JobId, long Step, RingPhase Phase, int Round, int ChunkIndex, long Offset, int FromRank, ReadOnlySequence<byte> Payload,
    RingEncoding Encoding = RingEncoding.Raw, bool SharedMemory = false);
