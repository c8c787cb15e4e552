using DistributedTrainer.Training;

namespace DistributedTrainer.Devices;

/// <summary>The <see cref="ShardRunnerFactory"/> for a <c>--device</c>.</summary>
public static class DeviceShardRunners
{
    /// <summary>
    /// The SIMD runner for <c>cpu</c>; for an accelerator, a <see cref="DeviceShardRunner"/> on a freshly opened one per job
    /// (the runner owns it).
    /// </summary>
    public static ShardRunnerFactory For(ComputeDevice device) => device.Kind == ComputeDeviceKind.Cpu
        ? ShardRunners.Cpu
        : (modelSpec, model, loss, data, seed, shardSize, threads) =>
        {
            var accelerator = DeviceAccelerator.Open(device);
            try
            {
                return new DeviceShardRunner(accelerator, model, loss, data, seed, shardSize);
            }
            catch
            {
                accelerator.Dispose();
                throw;
            }
        };
}
