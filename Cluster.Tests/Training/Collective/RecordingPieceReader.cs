using DistributedTrainer.Training.Collective;

namespace DistributedTrainer.Tests.Training.Collective;

/// <summary>A ring piece reader that keeps a copy of every piece it is handed.</summary>
internal sealed class RecordingPieceReader : IRingPieceReader
{
    public List<(RingPieceHeader Header, byte[] Payload)> Pieces { get; } = [];

    public void Read(RingPieceHeader header, ReadOnlySpan<byte> payload) => Pieces.Add((header, payload.ToArray()));
}
