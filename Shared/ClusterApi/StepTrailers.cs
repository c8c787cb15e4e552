namespace DistributedTrainer.ClusterApi;

/// <summary>
/// The trailers of an ABORTED trainer.v1.WorkerControl/Step: the worker names the ring peer it could not hear from or
/// send to, so the coordinator drops that peer rather than the worker that reported it, without reading the text.
/// </summary>
public static class StepTrailers
{
    /// <summary>The ring rank the worker could not hear from or send to (decimal).</summary>
    public const string PeerRank = "ring-peer-rank";

    /// <summary>The piece that failed, e.g. "reduce-scatter chunk 2".</summary>
    public const string RingPiece = "ring-piece";

    /// <summary>
    /// Where in the step the ring failed, "PHASE ROUND" with PHASE 0 for the parameter all-gather and 1 for the
    /// gradient reduce-scatter. A silent rank makes every rank behind it fail in turn; the report from the earliest
    /// position names the rank that started it.
    /// </summary>
    public const string RingPosition = "ring-position";
}
