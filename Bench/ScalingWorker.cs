using System.Globalization;
using System.Net;
using DistributedTrainer.Worker;
using DistributedTrainer.Worker.Faults;

namespace DistributedTrainer.Bench;

/// <summary>
/// One worker of the scaling benchmark, run as a child process of <see cref="ScalingBenchmark"/> (in its own network
/// namespace when the links are shaped): a standalone worker of one thread on HOST, whose every step's computation is
/// a wait of US microseconds (<c>compute=US</c>). Prints "address URL", then serves until stdin closes.
/// </summary>
internal static class ScalingWorker
{
    /// <summary>`Bench scaling --worker-process HOST US`.</summary>
    public static async Task<int> RunAsync(string host, int computeMicroseconds)
    {
        var options = new WorkerOptions(Coordinator: null, Host: IPAddress.Parse(host), Threads: 1)
        {
            Faults = WorkerFaults.None.With(string.Create(CultureInfo.InvariantCulture, $"compute={computeMicroseconds}")),
        };
        await using var server = await WorkerServer.StartAsync(options);
        Console.WriteLine($"address {server.AdvertisedAddress}");
        // The parent closes stdin (or dies) when the benchmark is over.
        await Console.In.ReadToEndAsync();
        return 0;
    }
}
