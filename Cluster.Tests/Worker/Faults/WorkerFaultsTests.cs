using System.Diagnostics;
using DistributedTrainer.Worker.Faults;
using Xunit;

namespace DistributedTrainer.Tests.Worker.Faults;

public sealed class WorkerFaultsTests
{
    [Fact]
    public void With_DropAndDelay_BothSetAsRingFaults()
    {
        var faults = WorkerFaults.None.With("drop-ring@42").With("delay-ring=250");

        Assert.Equal((42L, TimeSpan.FromMilliseconds(250), true, false), (faults.DropRingFromStep, faults.RingDelay, faults.HasRingFaults, faults.IsNone));
    }

    [Fact]
    public void With_ExitAndSlow_SetWithoutRingFaults()
    {
        var faults = WorkerFaults.None.With("exit@7").With("slow=2.5");

        Assert.Equal((7L, 2.5, false, false), (faults.ExitAtStep, faults.SlowFactor, faults.HasRingFaults, faults.IsNone));
    }

    [Fact]
    public void With_Compute_SetsTheStandInWaitInMicroseconds()
    {
        var faults = WorkerFaults.None.With("compute=1500");

        Assert.Equal((TimeSpan.FromMicroseconds(1500), false, false), (faults.ComputeWait, faults.HasRingFaults, faults.IsNone));
    }

    [Fact]
    public void StandInForComputation_BlocksAboutTheWaitAskedFor()
    {
        var watch = Stopwatch.StartNew();

        FaultDrill.StandInForComputation(TimeSpan.FromMilliseconds(30));

        // Never short; the upper bound only catches a unit mistake (a sleep 1000 times too long), not a loaded machine.
        Assert.InRange(watch.Elapsed.TotalMilliseconds, 30, 3000);
    }

    [Fact]
    public void None_IsNone()
    {
        Assert.True(WorkerFaults.None.IsNone);
        Assert.Equal(1.0, WorkerFaults.None.SlowFactor);
    }

    [Theory]
    [InlineData("drop-ring")]
    [InlineData("drop-ring@-1")]
    [InlineData("delay-ring=700000")]
    [InlineData("exit@")]
    [InlineData("exit@x")]
    [InlineData("slow=0.5")]
    [InlineData("slow=101")]
    [InlineData("slow=NaN")]
    [InlineData("compute=0")]
    [InlineData("compute=10000001")]
    [InlineData("compute=1.5")]
    [InlineData("crash")]
    public void With_Malformed_ThrowsNamingTheFlag(string fault)
    {
        var error = Assert.Throws<ArgumentException>(() => WorkerFaults.None.With(fault));

        Assert.StartsWith($"Invalid --fault: '{fault}'", error.Message, StringComparison.Ordinal);
    }
}
