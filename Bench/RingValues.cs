namespace DistributedTrainer.Bench;

/// <summary>What the ring benchmark's vectors hold (`Bench ring --values`).</summary>
internal enum RingValues
{
    /// <summary>Sums that need all 8 bytes: every byte crosses the ring, as with gloo.</summary>
    Wide,

    /// <summary>Shaped like a training step's gradient sums, which the reduce-scatter packs to about half.</summary>
    Gradient,
}
