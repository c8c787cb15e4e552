using DistributedTrainer.Numerics;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public sealed class CpuAffinityTests
{
    [Theory]
    [InlineData("0", new[] { 0 })]
    [InlineData("0-3,8", new[] { 0, 1, 2, 3, 8 })]
    [InlineData("6,1-2", new[] { 1, 2, 6 })]
    [InlineData("5-5", new[] { 5 })]
    [InlineData("1023", new[] { 1023 })]
    public void Parse_CpuList_GivesTheCpusAscending(string text, int[] expected)
    {
        Assert.Equal(expected, CpuAffinity.Parse(text));
    }

    [Theory]
    [InlineData("", "'' is neither")]
    [InlineData("a", "'a' is neither")]
    [InlineData("1-", "'1-' is neither")]
    [InlineData("-1", "'-1' is neither")]
    [InlineData("1-2-3", "'1-2-3' is neither")]
    [InlineData(" 1", "' 1' is neither")]
    [InlineData("1024", "'1024' is neither")]
    [InlineData("3-1", "the range '3-1' runs downwards")]
    [InlineData("0-2,1", "CPU 1 is named twice")]
    public void Parse_NotACpuList_SaysWhy(string text, string reason)
    {
        var invalid = Assert.Throws<FormatException>(() => CpuAffinity.Parse(text));

        Assert.Contains(reason, invalid.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { 0, 1, 2, 3, 8 }, "0-3,8")]
    [InlineData(new[] { 8, 1, 3 }, "1,3,8")]
    [InlineData(new[] { 4 }, "4")]
    [InlineData(new[] { 0, 1, 3, 4, 5 }, "0-1,3-5")]
    public void Format_Cpus_WritesTheListAsLinuxDoes(int[] cpus, string expected)
    {
        Assert.Equal(expected, CpuAffinity.Format(cpus));
        Assert.Equal(cpus.Order(), CpuAffinity.Parse(expected));
    }

    [Fact]
    public void Allowed_ThisProcess_IsTheListTheKernelShows()
    {
        string shown = File.ReadLines("/proc/thread-self/status")
            .Single(line => line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal))
            .Split(':')[1].Trim();

        Assert.Equal(CpuAffinity.Parse(shown), CpuAffinity.Allowed());
    }

    [Fact]
    public void PinProcess_CpuNotAllowed_RefusesNamingIt()
    {
        int outside = CpuAffinity.MaxCpu;

        var refused = Assert.Throws<ArgumentException>(() => CpuAffinity.PinProcess([outside]));

        Assert.Contains($"CPU {outside} is not one this process may run on", refused.Message, StringComparison.Ordinal);
    }
}
