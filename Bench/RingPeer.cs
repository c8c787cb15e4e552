using System.Diagnostics;
using System.Globalization;
using DistributedTrainer.Training.Collective;
using DistributedTrainer.Transport;
using DistributedTrainer.Worker.Collective;
using DistributedTrainer.Worker.Control;
using DistributedTrainer.Worker.Direct;
using DistributedTrainer.Worker.Faults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DistributedTrainer.Bench;

/// <summary>
/// One rank of the ring benchmark, run as a child process of <see cref="RingBenchmark"/>: it serves
/// trainer.v1.Collective on a loopback port, prints "port P", reads "peers P0 P1 ..." from stdin, then for each
/// size runs as many untimed all-reduces as timed ones, then the timed series, and rank 0 prints "result BYTES ITERATIONS SECONDS
/// CPU_SECONDS" (SECONDS: the calls alone, summed; CPU: its own process's user + system time during the calls, which
/// the load disturbs far less).
/// </summary>
internal static class RingPeer
{
    /// <summary>Where the peers' shared-memory inboxes live with <see cref="RingSender.SharedMemory"/>.</summary>
    public const string SharedMemoryDirectory = "/dev/shm";

    public static async Task<int> RunAsync(int rank, int size, IReadOnlyList<(long Bytes, int Iterations)> plan, int pieceBytes, RingValues values,
        RingSender sender)
    {
        var service = new CollectiveService(sender == RingSender.SharedMemory ? SharedMemoryDirectory : null);
        var builder = GrpcServerHosting.CreateBuilder(new GrpcEndpointOptions
        {
            CleartextConnections = sender != RingSender.Kestrel ? (next, context) => DirectCalls.Middleware(next, context, DirectRingStream.Method(service)) : null,
        });
        builder.Services.AddSingleton(service);
        await using WebApplication app = builder.Build();
        app.MapGrpcService<CollectiveService>();
        await app.StartAsync();
        Console.WriteLine($"port {app.BoundAddress().Port}");
        string line = Console.ReadLine() ?? throw new InvalidDataException("stdin closed before the peer list");
        int[] ports = [.. line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(p => int.Parse(p, CultureInfo.InvariantCulture))];
        using var previous = GrpcChannels.Create(new Uri($"http://127.0.0.1:{ports[(rank + size - 1) % size]}"), RingLink.ChannelSettings);
        await using GrpcRingTransport transport = GrpcRingTransport.Open(service, previous, "bench", rank, size);
        var ring = new RingAllReduce(transport, rank, size, new RingOptions { PieceTimeout = TimeSpan.FromSeconds(60), MaxPieceBytes = pieceBytes });
        long step = 0;
        foreach ((long bytes, int iterations) in plan)
        {
            long[] vector = new long[bytes / sizeof(long)];
            long[] start = values == RingValues.Gradient ? StandInGradients.Create(vector.Length, seed: rank) : WideValues(vector.Length);
            // As many untimed calls as timed ones: the JIT's tiering (about 30 calls, then a recompile in the
            // background) settles before the clock starts, so the series measures the steady state a training
            // job runs in.
            for (int i = 0; i < iterations; i++)
            {
                start.CopyTo(vector, 0);
                await ring.AllReduceAsync(vector, step++);
            }

            TimeSpan cpu = TimeSpan.Zero;
            var stopwatch = new Stopwatch();
            for (int i = 0; i < iterations; i++)
            {
                // Every call reduces the same values (the sums of the last one would be wider or narrower). The copy
                // stays off the clock and out of the CPU time; gloo's script makes the same copy between its calls, so
                // where ranks outnumber the cores both sides lose the same time to it.
                start.CopyTo(vector, 0);
                TimeSpan before = Environment.CpuUsage.TotalTime;
                stopwatch.Start();
                await ring.AllReduceAsync(vector, step++);
                stopwatch.Stop();
                cpu += Environment.CpuUsage.TotalTime - before;
            }

            double seconds = stopwatch.Elapsed.TotalSeconds;
            if (rank == 0)
            {
                Console.WriteLine(FormattableString.Invariant($"result {bytes} {iterations} {seconds:R} {cpu.TotalSeconds:R}"));
            }
        }

        // The last all-reduce on a rank ends before its successor has drained its own last pieces; wait for the
        // parent's word that every rank finished before closing the stream.
        Console.WriteLine("done");
        _ = Console.ReadLine();
        // The previous rank's stream may still be open: cut it rather than wait for it.
        await app.StopAsync(new CancellationToken(canceled: true));
        return 0;
    }

    /// <summary>
    /// Values whose partial sums over any number of ranks up to 8 need all 8 bytes (k x 0x1555... for k = 1 to 8), so
    /// packing would save nothing and every piece crosses raw. (0x5555... summed over 3 ranks wraps to -1, one byte.)
    /// </summary>
    private static long[] WideValues(int length)
    {
        long[] vector = new long[length];
        vector.AsSpan().Fill(0x1555_5555_5555_5555);
        return vector;
    }
}
