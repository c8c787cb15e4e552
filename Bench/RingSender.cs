namespace DistributedTrainer.Bench;

/// <summary>What writes a ring peer's pieces (`Bench ring --sender`).</summary>
internal enum RingSender
{
    /// <summary>As a worker does: the next rank's subscription served by a direct stream (no Kestrel copies).</summary>
    Direct,

    /// <summary>Kestrel's HTTP/2 serves the subscription, as every rank did before the direct streams.</summary>
    Kestrel,

    /// <summary>
    /// As workers on one machine given <c>--ring-shared-memory /dev/shm</c>: the subscription is served as with
    /// <see cref="Direct"/>, and the pieces move through the receiver's shared-memory inbox.
    /// </summary>
    SharedMemory,
}
