using DistributedTrainer.Devices;
using DistributedTrainer.Devices.Kernels;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

public sealed class DeviceAcceleratorTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("kernels")]
    public void Open_CpuAccelerator_DescribesItAndItsKernelGemms(string? gemmSetting)
    {
        using var accelerator = DeviceAccelerator.Open(ComputeDevice.CpuAccelerator, gemmSetting);

        Assert.StartsWith("cpu-accelerator (ILGPU ", accelerator.Description, StringComparison.Ordinal);
        Assert.EndsWith("; GEMM: ILGPU kernels)", accelerator.Description, StringComparison.Ordinal);
        Assert.Null(accelerator.CuBlas);
        Assert.IsType<KernelGemm>(new DeviceKernels(accelerator).Gemm);
    }

    [Fact]
    public void Open_CpuAcceleratorWithCublas_ThrowsBeforeOpeningIt()
    {
        var refused = Assert.Throws<DeviceUnavailableException>(() => DeviceAccelerator.Open(ComputeDevice.CpuAccelerator, "cublas"));

        Assert.StartsWith("DT_DEVICE_GEMM=cublas: ", refused.Message, StringComparison.Ordinal);
    }

    // With DT_TEST_DEVICE=cuda the dense tests run on what the accelerator chose; gpu-check.sh runs them under
    // DT_DEVICE_GEMM=cublas (no silent fallback: the accelerator does not open without cuBLAS) and =kernels.
    [Fact]
    public void TestDevice_Kernels_UseTheGemmsTheAcceleratorChose()
    {
        using var fixture = new AcceleratorFixture();

        Assert.Equal(fixture.Device.CuBlas is null ? typeof(KernelGemm) : typeof(CuBlasGemm), fixture.Kernels.Gemm.GetType());
        Assert.StartsWith(fixture.Device.CuBlas is null ? "ILGPU kernels" : "cuBLAS ", fixture.Device.Gemm, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cpu-accelerator", null, nameof(GemmRequest.Kernels))]
    [InlineData("cpu-accelerator", "", nameof(GemmRequest.Kernels))]
    [InlineData("cpu-accelerator", "kernels", nameof(GemmRequest.Kernels))]
    [InlineData("cuda:0", null, nameof(GemmRequest.CuBlasOrKernels))]
    [InlineData("cuda:1", "kernels", nameof(GemmRequest.Kernels))]
    [InlineData("cuda:0", "cublas", nameof(GemmRequest.CuBlas))]
    public void GemmRequestFor_Setting_PicksTheGemms(string device, string? setting, string expected)
    {
        Assert.Equal(Enum.Parse<GemmRequest>(expected), DeviceAccelerator.GemmRequestFor(ComputeDevice.Parse(device), setting));
    }

    [Fact]
    public void GemmRequestFor_CublasOnTheCpuAccelerator_ThrowsNamingTheVariableAndTheDevice()
    {
        var refused = Assert.Throws<DeviceUnavailableException>(
            () => DeviceAccelerator.GemmRequestFor(ComputeDevice.CpuAccelerator, "cublas"));

        Assert.StartsWith("DT_DEVICE_GEMM=cublas: cuBLAS runs on CUDA devices only, and --device cpu-accelerator is not one.",
            refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cuda:0", "cuBLAS")]
    [InlineData("cuda:0", "ilgpu")]
    [InlineData("cpu-accelerator", " kernels")]
    public void GemmRequestFor_UnknownValue_ThrowsNamingTheVariableAndTheChoices(string device, string setting)
    {
        var refused = Assert.Throws<DeviceUnavailableException>(() => DeviceAccelerator.GemmRequestFor(ComputeDevice.Parse(device), setting));

        Assert.StartsWith($"DT_DEVICE_GEMM={setting}: not a GEMM path; expected kernels or cublas", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(120405, "cuBLAS 12.4.5")]
    [InlineData(120100, "cuBLAS 12.1.0")]
    [InlineData(11603, "cuBLAS (version 11603)")]
    public void CuBlasDescribe_Version_ReadsCuBlas12sEncoding(int version, string expected)
    {
        Assert.Equal(expected, CuBlasGemm.Describe(version));
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
