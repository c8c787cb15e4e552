using ILGPU;

namespace DistributedTrainer.Devices.Layers;

/// <summary>The keys of a training pass on the device: the counter RNG's seed and step, and each row's global sample id.</summary>
/// <param name="Seed">The job's seed.</param>
/// <param name="Step">Optimizer step number.</param>
/// <param name="SampleIds">Global sample id of each row of the current shard (B).</param>
internal readonly record struct DeviceStep(ulong Seed, long Step, ArrayView<long> SampleIds);
