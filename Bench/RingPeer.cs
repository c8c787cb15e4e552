using System.Diagnostics;
using System.Globalization;
using DistributedTrainer.Rpc;
using DistributedTrainer.Training.Collective;
using DistributedTrainer.Worker.Collective;

namespace DistributedTrainer.Bench;

/// <summary>
/// One rank of the ring benchmark, run as a child process of <see cref="RingBenchmark"/>: it serves
/// trainer.v1.Collective on a loopback port, prints "port P", reads "peers P0 P1 ..." from stdin, then for each
/// size runs one untimed all-reduce and a timed series, and rank 0 prints "result BYTES ITERATIONS SECONDS".
/// </summary>
internal static class RingPeer
{
    public static async Task<int> RunAsync(int rank, int size, IReadOnlyList<(long Bytes, int Iterations)> plan, int pieceBytes)
    {
        var service = new CollectiveService();
        await using GrpcHost host = await GrpcHost.StartAsync(new GrpcRouter().AddService(service.Definition));
        Console.WriteLine($"port {host.Port}");
        string line = Console.ReadLine() ?? throw new InvalidDataException("stdin closed before the peer list");
        int[] ports = [.. line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(p => int.Parse(p, CultureInfo.InvariantCulture))];
        using var next = new RpcChannel(new Uri($"http://127.0.0.1:{ports[(rank + 1) % size]}"));
        await using GrpcRingTransport transport = GrpcRingTransport.Open(service, next, "bench", rank, size);
        var ring = new RingAllReduce(transport, rank, size, new RingOptions { PieceTimeout = TimeSpan.FromSeconds(60), MaxPieceBytes = pieceBytes });
        long step = 0;
        foreach ((long bytes, int iterations) in plan)
        {
            long[] vector = new long[bytes / sizeof(long)];
            vector.AsSpan().Fill(1);
            await ring.AllReduceAsync(vector, step++);
            var stopwatch = Stopwatch.StartNew();
            for (int i = 0; i < iterations; i++)
            {
                await ring.AllReduceAsync(vector, step++);
            }

            if (rank == 0)
            {
                Console.WriteLine(FormattableString.Invariant($"result {bytes} {iterations} {stopwatch.Elapsed.TotalSeconds:R}"));
            }
        }

        // The last all-reduce on a rank ends before its successor has drained its own last pieces; wait for the
        // parent's word that every rank finished before closing the stream.
        Console.WriteLine("done");
        _ = Console.ReadLine();
        return 0;
    }
}
