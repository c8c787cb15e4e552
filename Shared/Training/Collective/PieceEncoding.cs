namespace DistributedTrainer.Training.Collective;

/// <summary>How a ring piece's payload holds its elements (collective.proto's RingEncoding).</summary>
public enum PieceEncoding
{
    /// <summary>Raw little-endian elements: 8 bytes each for fixed-point sums, 4 for float parameters.</summary>
    Raw = 0,

    /// <summary>Reduce-scatter only: fixed-point sums in blocks of as few bytes per element as each block needs (<see cref="FixedPointBlocks"/>).</summary>
    FixedPointBlocks = 1,
}
