using System.Diagnostics;
using System.Globalization;
using DistributedTrainer.Coordinator.Cluster;
using static DistributedTrainer.Bench.ChildProcesses;

namespace DistributedTrainer.Bench;

/// <summary>
/// The scaling benchmark's workers: <see cref="ScalingWorker"/> child processes on loopback, or each in its
/// <see cref="ShapedNetwork"/> namespace at its address there. Disposing closes their stdin, which ends them.
/// </summary>
internal sealed class ScalingFleet : IAsyncDisposable
{
    private readonly List<Process> _processes;

    private ScalingFleet(List<Process> processes, IReadOnlyList<WorkerEndpoint> endpoints)
    {
        _processes = processes;
        Endpoints = endpoints;
    }

    /// <summary>Where the coordinator reaches each worker, in rank order.</summary>
    public IReadOnlyList<WorkerEndpoint> Endpoints { get; }

    /// <summary>Starts <paramref name="workers"/> workers whose computation is a wait of <paramref name="compute"/>.</summary>
    public static async Task<ScalingFleet> StartAsync(int workers, TimeSpan compute, bool inNamespaces)
    {
        var processes = new List<Process>();
        try
        {
            string microseconds = ((long)Math.Round(compute.TotalMicroseconds)).ToString(CultureInfo.InvariantCulture);
            for (int k = 0; k < workers; k++)
            {
                string host = inNamespaces ? ShapedNetwork.Address(k).ToString() : "127.0.0.1";
                string[] command = [.. Self(), "scaling", "--worker-process", host, microseconds];
                if (inNamespaces)
                {
                    command = ShapedNetwork.InNamespace(k, command);
                }
                processes.Add(Start(command[0], command[1..]));
            }
            var endpoints = await Task.WhenAll(processes.Select((process, k) => Task.Run(() =>
                new WorkerEndpoint($"w-{k + 1}", new Uri(ExpectLine(process, "address ")["address ".Length..]), 1))));
            return new ScalingFleet(processes, endpoints);
        }
        catch
        {
            await Stop(processes);
            throw;
        }
    }

    /// <summary>The CPU time (user and system) the workers have used so far, together.</summary>
    public TimeSpan ProcessorTime()
    {
        var total = TimeSpan.Zero;
        foreach (var process in _processes)
        {
            process.Refresh();
            total += process.TotalProcessorTime;
        }
        return total;
    }

    public async ValueTask DisposeAsync() => await Stop(_processes);

    private static async Task Stop(List<Process> processes)
    {
        foreach (var process in processes)
        {
            process.StandardInput.Close();
        }
        foreach (var process in processes)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
            process.Dispose();
        }
    }
}
