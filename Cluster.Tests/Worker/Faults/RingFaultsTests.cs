using DistributedTrainer.Worker.Faults;
using Xunit;

namespace DistributedTrainer.Tests.Worker.Faults;

public sealed class RingFaultsTests
{
    [Fact]
    public void With_DropAndDelay_BothSet()
    {
        var faults = RingFaults.None.With("drop-ring@42").With("delay-ring=250");

        Assert.Equal((42L, TimeSpan.FromMilliseconds(250), false), (faults.DropFromStep, faults.Delay, faults.IsNone));
    }

    [Theory]
    [InlineData("drop-ring")]
    [InlineData("drop-ring@-1")]
    [InlineData("delay-ring=700000")]
    [InlineData("exit@3")]
    public void With_Malformed_ThrowsNamingTheFlag(string fault)
    {
        var error = Assert.Throws<ArgumentException>(() => RingFaults.None.With(fault));

        Assert.StartsWith($"Invalid --fault: '{fault}'", error.Message, StringComparison.Ordinal);
    }
}
