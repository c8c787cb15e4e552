using DistributedTrainer.Tests.Data;
using DistributedTrainer.Worker.Control;
using Xunit;

namespace DistributedTrainer.Tests.Worker;

/// <summary>
/// The shard board two workers on one machine share: each shard is taken exactly once, by its own worker from the front
/// or by another from the back, and only within the same step and generation.
/// </summary>
public sealed class ShardBoardTests
{
    private const int ShardSize = 4;
    private const int TrainCount = 1000;

    // Shard k holds samples 10k .. 10k + length - 1, at batch index 100 + k.
    private static (int[] Ids, int[] Lengths, int[] Indices) Shards(int count)
    {
        var lengths = Enumerable.Range(0, count).Select(k => k == count - 1 ? 3 : ShardSize).ToArray();
        var ids = Enumerable.Range(0, count).SelectMany(k => Enumerable.Range(10 * k, lengths[k])).ToArray();
        return (ids, lengths, Enumerable.Range(100, count).ToArray());
    }

    [Fact]
    public void TakeNextAndTakeOver_RacingOnOneSlot_EveryShardTakenOnceTheOwnersFirstAndTheOthersLast()
    {
        using var directory = new TemporaryDirectory();
        using var owner = ShardBoard.Open(directory.Path, "j-race");
        using var other = ShardBoard.Open(directory.Path, "j-race");
        const int count = 40;
        var (ids, lengths, indices) = Shards(count);
        var taken = new int[ShardSize];
        for (long step = 0; step < 300; step++)
        {
            var queue = owner.Publish(rank: 1, generation: 7, step, ids, lengths, indices)!;
            var own = new List<int>();
            var takenOver = new List<(int Shard, int Length, int[] Ids)>();
            using var start = new Barrier(2);
            var thief = new Thread(() =>
            {
                start.SignalAndWait();
                while (other.TryTakeOver(1, 7, step, ShardSize, TrainCount, taken, out int length, out int index))
                {
                    takenOver.Add((index - 100, length, taken[..length]));
                }
            });
            thief.Start();
            start.SignalAndWait();
            while (queue.TryTakeNext(out int shard))
            {
                own.Add(shard);
            }
            thief.Join();

            foreach (var (shard, length, shardIds) in takenOver)
            {
                Assert.Equal(lengths[shard], length);
                Assert.Equal(Enumerable.Range(10 * shard, length), shardIds);
            }
            Assert.Equal(Enumerable.Range(own.Count, count - own.Count).Reverse(), takenOver.Select(shard => shard.Shard));
            Assert.Equal(Enumerable.Range(0, own.Count), own);
        }
    }

    [Fact]
    public void TryTakeOver_AnotherStepOrGenerationOrRank_TakesNothing()
    {
        using var directory = new TemporaryDirectory();
        using var board = ShardBoard.Open(directory.Path, "j-keys");
        var (ids, lengths, indices) = Shards(3);
        board.Publish(rank: 0, generation: 2, step: 5, ids, lengths, indices);
        var taken = new int[ShardSize];

        Assert.False(board.TryTakeOver(0, 2, 6, ShardSize, TrainCount, taken, out _, out _));
        Assert.False(board.TryTakeOver(0, 3, 5, ShardSize, TrainCount, taken, out _, out _));
        Assert.False(board.TryTakeOver(1, 2, 5, ShardSize, TrainCount, taken, out _, out _));
        Assert.False(board.TryTakeOver(ShardBoard.MaxRanks, 2, 5, ShardSize, TrainCount, taken, out _, out _));
        Assert.True(board.TryTakeOver(0, 2, 5, ShardSize, TrainCount, taken, out int length, out int index));
        Assert.Equal((3, 102), (length, index));
    }

    [Fact]
    public void Publish_MoreShardsThanASlotHolds_ReturnsNoQueueAndOffersNothing()
    {
        using var directory = new TemporaryDirectory();
        using var board = ShardBoard.Open(directory.Path, "j-big");
        var (ids, lengths, indices) = Shards(3);
        board.Publish(rank: 0, generation: 1, step: 0, ids, lengths, indices);
        int[] tooMany = [.. Enumerable.Repeat(1, ShardBoard.MaxShards + 1)];

        Assert.Null(board.Publish(rank: 0, generation: 1, step: 1, new int[tooMany.Length], tooMany, new int[tooMany.Length]));
        Assert.False(board.TryTakeOver(0, 1, 1, ShardSize, TrainCount, new int[ShardSize], out _, out _));
        Assert.False(board.TryTakeOver(0, 1, 0, ShardSize, TrainCount, new int[ShardSize], out _, out _));
    }

    [Fact]
    public void TryTakeOver_ShardNamingASampleOutsideTheData_ThrowsInvalidDataNamingTheSample()
    {
        using var directory = new TemporaryDirectory();
        using var board = ShardBoard.Open(directory.Path, "j-bad");
        board.Publish(rank: 0, generation: 1, step: 0, [3, TrainCount + 5], [2], [0]);

        var error = Assert.Throws<InvalidDataException>(() => board.TryTakeOver(0, 1, 0, ShardSize, TrainCount, new int[ShardSize], out _, out _));
        Assert.Contains($"sample {TrainCount + 5} of {TrainCount}", error.Message);
    }

    [Fact]
    public void Dispose_LastBoardOfTheJob_DeletesItsFile()
    {
        using var directory = new TemporaryDirectory();
        var board = ShardBoard.Open(directory.Path, "j-gone");
        Assert.Single(Directory.GetFiles(directory.Path));

        board.Dispose();

        Assert.Empty(Directory.GetFiles(directory.Path));
    }
}
