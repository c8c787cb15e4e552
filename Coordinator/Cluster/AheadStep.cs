using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// A step whose headers went out right behind the step before it, so that the workers start it as soon as they have
/// answered that one: the step, the ring generation and batch they are for, the split of its shards, the headers sent
/// (by rank), the update of the step before that they carry, and the step's deadline (the headers' ring timeout is
/// half of it, so the coordinator keeps it for the step: a silent peer must be named by the ring before the coordinator
/// gives up on every worker).
/// </summary>
internal sealed record AheadStep(long Step, long Generation, ReadOnlyMemory<int> Batch, (int First, int Count)[] Split, StepHeader[] Headers,
    SegmentUpdate Update, TimeSpan Deadline);
