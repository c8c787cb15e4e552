namespace DistributedTrainer.Training;

/// <summary>What one micro-shard contributed besides its gradient.</summary>
/// <param name="LossSum">Sum of the per-sample losses (without regularization).</param>
/// <param name="Correct">Targets predicted correctly: samples, or time steps when a sample has several targets (TEXT).</param>
/// <param name="Samples">Samples in the shard.</param>
public readonly record struct ShardResult(double LossSum, int Correct, int Samples)
{
    /// <summary>The sum of two results.</summary>
    public static ShardResult operator +(ShardResult left, ShardResult right) =>
        new(left.LossSum + right.LossSum, left.Correct + right.Correct, left.Samples + right.Samples);

    /// <summary>
    /// A step's result: its shards' results added from default in shard order. Every backend, local or cluster, CPU or
    /// device, sums this way, so that their losses agree to the bit whoever computed which shard.
    /// </summary>
    public static ShardResult InShardOrder(ReadOnlySpan<ShardResult> shards)
    {
        var sum = default(ShardResult);
        foreach (var shard in shards)
        {
            sum += shard;
        }
        return sum;
    }
}
