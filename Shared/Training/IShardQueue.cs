namespace DistributedTrainer.Training;

/// <summary>
/// Hands out a step's micro-shards in order (0, 1, 2, ...) to the engines that compute them, and may give the ones not
/// yet handed out to someone else: a worker's shards that a co-located worker takes over once its own are done.
/// Safe to call from several threads at once.
/// </summary>
public interface IShardQueue
{
    /// <summary>Takes the next shard; false once every shard is taken, here or elsewhere.</summary>
    bool TryTakeNext(out int shard);
}
