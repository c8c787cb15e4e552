using System.Globalization;
using DistributedTrainer.Training;

namespace DistributedTrainer.Client.Local;

/// <summary>
/// What each worker of `trainctl local` computes on (<c>--device</c>, repeatable): <c>DEVICE</c> sets every worker's,
/// <c>K:DEVICE</c> worker K's (numbered from 1), which wins over the first form, so that <c>--device cuda
/// --device 3:cpu</c> mixes GPU and CPU workers. DEVICE is <see cref="ComputeDevice.Accepted"/>. A worker given no
/// device computes with the SIMD kernels.
/// </summary>
/// <param name="Every">The device of every worker not named; null: cpu.</param>
/// <param name="ByWorker">Devices of the workers named, by worker number.</param>
internal sealed record LocalDevices(ComputeDevice? Every, IReadOnlyDictionary<int, ComputeDevice> ByWorker)
{
    public static LocalDevices None { get; } = new(null, new Dictionary<int, ComputeDevice>());

    /// <summary>Worker <paramref name="worker"/>'s device; null when none was asked for (the worker's default, cpu).</summary>
    public ComputeDevice? Of(int worker) => ByWorker.TryGetValue(worker, out var device) ? device : Every;

    /// <summary>Parses the --device values for a cluster of <paramref name="workers"/> workers.</summary>
    /// <exception cref="ArgumentException">A value names no device or no worker, or says the same thing twice; the message names --device.</exception>
    public static LocalDevices Parse(IReadOnlyList<string> values, int workers)
    {
        ComputeDevice? every = null;
        var byWorker = new Dictionary<int, ComputeDevice>();
        foreach (string value in values)
        {
            // "2:cuda:0" names worker 2; "cuda:0" names a device: a worker number is digits before the first colon.
            int colon = value.IndexOf(':', StringComparison.Ordinal);
            int worker = 0;
            bool named = colon > 0 && int.TryParse(value.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out worker);
            string deviceText = named ? value[(colon + 1)..] : value;
            ComputeDevice device;
            try
            {
                device = ComputeDevice.Parse(deviceText);
            }
            catch (ArgumentException)
            {
                throw new ArgumentException($"--device: '{value}' must be DEVICE or K:DEVICE, DEVICE one of {ComputeDevice.Accepted} and K a worker number in [1, {workers}]");
            }
            if (!named)
            {
                every = every is null ? device : throw new ArgumentException($"--device: '{value}' is the second device for every worker; give one, and K:DEVICE for the exceptions");
                continue;
            }
            if (worker < 1 || worker > workers)
            {
                throw new ArgumentException($"--device: '{value}' names worker {value[..colon]}; workers are numbered 1 to {workers}");
            }
            if (!byWorker.TryAdd(worker, device))
            {
                throw new ArgumentException($"--device: '{value}' is the second device for worker {worker}");
            }
        }
        return new LocalDevices(every, byWorker);
    }

    /// <summary>The devices in words for the banner ("cpu" when none was asked for, else each worker's).</summary>
    public string Describe(int workers) => Every is null && ByWorker.Count == 0
        ? "cpu"
        : string.Join(", ", Enumerable.Range(1, workers).Select(worker => $"worker-{worker} {Of(worker)?.ToString() ?? "cpu"}"));
}
