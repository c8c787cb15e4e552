using DistributedTrainer.Client.Local;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Client.Local;

public sealed class LocalDevicesTests
{
    [Fact]
    public void Parse_EveryWorkerAndOneException_TheExceptionWins()
    {
        var devices = LocalDevices.Parse(["cuda:1", "3:cpu", "2:cuda"], workers: 3);

        Assert.Equal(
            new ComputeDevice?[] { new ComputeDevice(ComputeDeviceKind.Cuda, 1), new ComputeDevice(ComputeDeviceKind.Cuda, 0), ComputeDevice.Cpu },
            new[] { devices.Of(1), devices.Of(2), devices.Of(3) });
        Assert.Equal("worker-1 cuda:1, worker-2 cuda:0, worker-3 cpu", devices.Describe(3));
    }

    [Fact]
    public void Parse_Nothing_LeavesEveryWorkerToItsDefault()
    {
        var devices = LocalDevices.Parse([], workers: 2);

        Assert.Equal(((ComputeDevice?)null, (ComputeDevice?)null, "cpu"), (devices.Of(1), devices.Of(2), devices.Describe(2)));
    }

    [Fact]
    public void Parse_OnlyOneWorkerNamed_OthersKeepTheirDefault()
    {
        var devices = LocalDevices.Parse(["2:cpu-accelerator"], workers: 2);

        Assert.Equal(((ComputeDevice?)null, (ComputeDevice?)ComputeDevice.CpuAccelerator), (devices.Of(1), devices.Of(2)));
        Assert.Equal("worker-1 cpu, worker-2 cpu-accelerator", devices.Describe(2));
    }

    [Theory]
    [InlineData("tpu")]
    [InlineData("0:cpu")]
    [InlineData("4:cpu")]
    [InlineData("2:")]
    [InlineData("cuda:x")]
    [InlineData("cpu", "cuda")]
    [InlineData("1:cpu", "1:cuda")]
    public void Parse_Bad_ThrowsNamingTheFlag(params string[] values)
    {
        var error = Assert.Throws<ArgumentException>(() => LocalDevices.Parse(values, workers: 3));

        Assert.StartsWith("--device: '", error.Message, StringComparison.Ordinal);
    }
}
