using DistributedTrainer.Devices;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

public sealed class DeviceAcceleratorTests
{
    [Fact]
    public void Open_CpuAccelerator_DescribesIt()
    {
        using var accelerator = DeviceAccelerator.Open(ComputeDevice.CpuAccelerator);

        Assert.StartsWith("cpu-accelerator (ILGPU ", accelerator.Description, StringComparison.Ordinal);
    }

    // No machine has 64 CUDA devices, so this holds with a GPU and without one (no driver: "no CUDA device found").
    [Fact]
    public void Open_CudaDeviceThatIsNotThere_ThrowsDeviceUnavailableNamingTheFlag()
    {
        var missing = Assert.Throws<DeviceUnavailableException>(() => DeviceAccelerator.Open(ComputeDevice.Parse("cuda:63")));

        Assert.StartsWith("--device cuda:63: ", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_Cpu_ThrowsBecauseTheSimdPathNeedsNoAccelerator()
    {
        Assert.Throws<ArgumentException>(() => DeviceAccelerator.Open(ComputeDevice.Cpu));
    }
}
