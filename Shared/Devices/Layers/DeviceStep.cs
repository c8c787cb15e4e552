using ILGPU;

namespace DistributedTrainer.Devices.Layers;

/// <summary>
/// The keys of a pass on the device: the counter RNG's seed and step, each row's global sample id, and whether it trains
/// (dropout active, batch statistics) or evaluates.
/// </summary>
/// <param name="Seed">The job's seed.</param>
/// <param name="Step">Optimizer step number.</param>
/// <param name="SampleIds">Global sample id of each row of the current shard (B).</param>
/// <param name="Training">True in training (the device workers' passes); false in evaluation.</param>
internal readonly record struct DeviceStep(ulong Seed, long Step, ArrayView<long> SampleIds, bool Training = true);
