namespace DistributedTrainer.Diagnostics;

/// <summary>The attribute (tag) keys of training spans and metrics.</summary>
public static class TrainingAttributes
{
    /// <summary>The job id (string).</summary>
    public const string JobId = "job.id";

    /// <summary>The step number (long), as the trainer counts it, from 1.</summary>
    public const string Step = "train.step";

    /// <summary>The epoch number (int), from 1.</summary>
    public const string Epoch = "train.epoch";

    /// <summary>The worker's id (string).</summary>
    public const string WorkerId = "worker.id";

    /// <summary>The worker's rank in the ring (int).</summary>
    public const string WorkerRank = "worker.rank";

    /// <summary>The number of micro-shards a worker computes in the step (int).</summary>
    public const string MicroShards = "micro_shards";

    /// <summary>How many of its own micro-shards a worker computed in the step, when co-located workers took over the rest (int).</summary>
    public const string MicroShardsComputed = "micro_shards.computed";

    /// <summary>How many micro-shards of co-located workers a worker took over in the step (int).</summary>
    public const string MicroShardsTakenOver = "micro_shards.taken_over";

    /// <summary>The ring phase: <c>reduce_scatter</c> or <c>all_gather</c>.</summary>
    public const string RingPhase = "ring.phase";

    /// <summary>The rank of the ring peer a chunk goes to or comes from (int).</summary>
    public const string RingPeer = "ring.peer";

    /// <summary>Payload bytes (long).</summary>
    public const string Bytes = "bytes";

    /// <summary>Metric tag: the phase of a step (<see cref="TrainingSpans"/> names, e.g. <c>forward</c>).</summary>
    public const string Phase = "phase";

    /// <summary>Metric tag: a ring link, <c>FROM-&gt;TO</c> by rank.</summary>
    public const string Link = "link";

    /// <summary>Metric tag: the data split of an evaluation: <c>train</c>, <c>validation</c> or <c>test</c>.</summary>
    public const string Split = "split";

    /// <summary>Metric tag: the name of a queue.</summary>
    public const string Queue = "queue";

    /// <summary>A parameter tensor's full name, e.g. <c>fc1.weight</c>.</summary>
    public const string Tensor = "tensor";

    /// <summary>Metric tag: what the central update did: <c>applied</c>, <c>clipped</c> or <c>skipped</c>.</summary>
    public const string Outcome = "outcome";
}
