using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

public sealed class ComputeDeviceTests
{
    [Theory]
    [InlineData("cpu", ComputeDeviceKind.Cpu, 0, "cpu")]
    [InlineData("cpu-accelerator", ComputeDeviceKind.CpuAccelerator, 0, "cpu-accelerator")]
    [InlineData("cuda", ComputeDeviceKind.Cuda, 0, "cuda:0")]
    [InlineData("cuda:3", ComputeDeviceKind.Cuda, 3, "cuda:3")]
    public void Parse_KnownDevice_GivesKindIndexAndSpelling(string text, ComputeDeviceKind kind, int index, string spelling)
    {
        var device = ComputeDevice.Parse(text);

        Assert.Equal((kind, index, spelling), (device.Kind, device.Index, device.ToString()));
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:64")]
    [InlineData("CPU")]
    public void Parse_UnknownDevice_ThrowsNamingTheFlagAndTheChoices(string text)
    {
        var invalid = Assert.Throws<ArgumentException>(() => ComputeDevice.Parse(text));

        Assert.Equal($"Invalid --device: '{text}' (must be cpu, cpu-accelerator, cuda or cuda:N, N a device ordinal in [0, 63])", invalid.Message);
    }
}
