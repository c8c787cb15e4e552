using Xunit;
using DistributedTrainer.Training;

namespace DistributedTrainer.Tests.Training;

public sealed class WorkerTeamTests
{
    [Fact]
    public void Run_ThreeMembers_RunsEachOnceOnItsOwnThread()
    {
        using var team = new WorkerTeam(3);
        var threads = new int[3];
        var calls = new int[3];

        team.Run(3, member =>
        {
            threads[member] = Environment.CurrentManagedThreadId;
            Interlocked.Increment(ref calls[member]);
        });

        Assert.Equal([1, 1, 1], calls);
        Assert.Equal(3, threads.Distinct().Count());
        Assert.Equal(Environment.CurrentManagedThreadId, threads[0]);
    }

    [Fact]
    public void Run_FewerMembersThanTheTeam_LeavesTheOthersIdle()
    {
        using var team = new WorkerTeam(3);
        var calls = new int[3];

        team.Run(2, member => Interlocked.Increment(ref calls[member]));

        Assert.Equal([1, 1, 0], calls);
    }

    [Fact]
    public void Run_MemberThrows_RethrowsOnTheCallerAndStaysUsable()
    {
        using var team = new WorkerTeam(2);

        var error = Assert.Throws<InvalidOperationException>(() =>
            team.Run(2, member => throw new InvalidOperationException($"member {member} failed")));
        int calls = 0;
        team.Run(2, _ => Interlocked.Increment(ref calls));

        Assert.StartsWith("member", error.Message);
        Assert.Equal(2, calls);
    }
}
