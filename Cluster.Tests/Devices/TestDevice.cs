using DistributedTrainer.Training;

namespace DistributedTrainer.Tests.Devices;

/// <summary>
/// The device the device tests run on: ILGPU's CPU accelerator, or the one named by DT_TEST_DEVICE (Bench/gpu-check.sh
/// sets <c>cuda</c> to run the same kernel tests on a real GPU).
/// </summary>
internal static class TestDevice
{
    public const string Variable = "DT_TEST_DEVICE";

    public static ComputeDevice Current { get; } =
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } named ? ComputeDevice.Parse(named, Variable) : ComputeDevice.CpuAccelerator;
}
