using System.Globalization;
using DistributedTrainer.Numerics;

namespace DistributedTrainer.Client.Local;

/// <summary>
/// The CPUs of each worker of `trainctl local --pin-workers`: worker K (numbered from 1) gets the K-th group of
/// threads-per-worker CPUs among those trainctl may run on, so that no two workers share a core; the coordinator runs
/// on any of them.
/// </summary>
internal static class WorkerCpus
{
    /// <summary>Each worker's CPU list as <c>Worker --cpus</c> takes it, worker K's at index K - 1.</summary>
    /// <exception cref="ArgumentException">Not Linux, or too few CPUs for a group each; the message names --pin-workers.</exception>
    public static IReadOnlyList<string> Assign(int workers, int threadsPerWorker)
    {
        if (!CpuAffinity.IsSupported)
        {
            throw new ArgumentException("--pin-workers: confining workers to CPUs needs Linux");
        }
        var allowed = CpuAffinity.Allowed();
        if ((long)workers * threadsPerWorker > allowed.Count)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"--pin-workers: {workers} worker(s) x {threadsPerWorker} thread(s) need {(long)workers * threadsPerWorker} CPUs of their own; trainctl may run on {allowed.Count} ({CpuAffinity.Format(allowed)})"));
        }
        return [.. Enumerable.Range(0, workers).Select(worker => CpuAffinity.Format(allowed.Skip(worker * threadsPerWorker).Take(threadsPerWorker)))];
    }
}
