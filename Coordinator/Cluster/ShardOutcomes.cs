using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;

namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// A step's micro-shard outcomes as the workers answer them, placed by shard index. A worker reports the shards it
/// computed: its own, or the first of them and those it took over from workers on its machine that had not started them
/// (<c>Worker --shard-board</c>); so every shard must come from exactly one worker, whoever computed it.
/// </summary>
internal sealed class ShardOutcomes
{
    private ShardResult[] _results = [];
    private int[] _reportedBy = [];
    private int[] _samples = [];

    /// <summary>By rank, the samples of the shards each worker reported in the last <see cref="Place"/>: the work its compute time measured.</summary>
    public IReadOnlyList<int> SamplesByRank => _samples;

    /// <summary>
    /// Places the outcomes of <paramref name="results"/> (by rank) for a step of <paramref name="shards"/> shards, split
    /// as <paramref name="assignment"/> (by rank); returns null when each shard came exactly once, else the rank at fault
    /// and why: the worker whose outcome names no shard of the step or one another worker reported, or, for a shard
    /// nobody reported, the worker it was assigned to.
    /// </summary>
    public (int Rank, string Reason)? Place(IReadOnlyList<StepResult> results, IReadOnlyList<(int First, int Count)> assignment, int shards)
    {
        if (_results.Length < shards)
        {
            (_results, _reportedBy) = (new ShardResult[shards], new int[shards]);
        }
        if (_samples.Length != results.Count)
        {
            _samples = new int[results.Count];
        }
        _reportedBy.AsSpan(0, shards).Fill(-1);
        for (int rank = 0; rank < results.Count; rank++)
        {
            var outcomes = results[rank].Shards;
            int samples = 0;
            for (int k = 0; k < outcomes.Count; k++)
            {
                var outcome = outcomes[k];
                int index = outcome.ShardIndex;
                if (index < 0 || index >= shards)
                {
                    return (rank, $"its outcome {k} is for shard {index}, not one of the step's {shards}");
                }
                if (_reportedBy[index] >= 0)
                {
                    return (rank, $"it reported shard {index}, which rank {_reportedBy[index]} reported too");
                }
                _reportedBy[index] = rank;
                _results[index] = new ShardResult(outcome.LossSum, outcome.Correct, outcome.Samples);
                samples += outcome.Samples;
            }
            _samples[rank] = samples;
        }
        for (int shard = 0; shard < shards; shard++)
        {
            if (_reportedBy[shard] < 0)
            {
                // Its worker either left it out, or saw it taken over by a worker that left it out.
                int owner = Enumerable.Range(0, assignment.Count).First(rank => shard >= assignment[rank].First && shard < assignment[rank].First + assignment[rank].Count);
                return (owner, $"no worker reported its shard {shard}");
            }
        }
        return null;
    }

    /// <summary>The step's result from the placed shards (<see cref="ShardResult.InShardOrder"/>).</summary>
    public ShardResult Sum(int shards) => ShardResult.InShardOrder(_results.AsSpan(0, shards));
}
