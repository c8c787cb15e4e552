using System.Diagnostics;
using System.Globalization;
using static DistributedTrainer.Bench.BenchEnvironment;
using static DistributedTrainer.Bench.ChildProcesses;

namespace DistributedTrainer.Bench;

/// <summary>
/// Ring all-reduce time and bus bandwidth (2(n-1)/n · bytes / time, the nccl-tests convention) of
/// <see cref="Training.Collective.RingAllReduce"/> over gRPC between n child processes on loopback, beside
/// PyTorch's gloo all-reduce (Bench/gloo_allreduce.py) with the same int64 vectors, ranks and iterations.
/// Prints a Markdown table, with each side's CPU time per call on rank 0 (user + system; the load on a shared
/// machine disturbs it far less than wall time). Options: --quick (2 ranks, 1 and 4 MiB), --ranks 2,3,4,
/// --sizes 1,4,16,64 (MiB), --piece-bytes N (default 1 MiB), --values wide|gradient: what the vectors hold (default
/// wide: sums that need all 8 bytes, so every byte crosses as with gloo; gradient: shaped like a training step's sums,
/// which the reduce-scatter packs to about half; the all-gather carries the sums raw either way). Bus bandwidth counts
/// 8 bytes per element whatever crossed. --rounds R (default 1) runs the ring and gloo R times each, alternating, and
/// reports the median time and CPU of each side, the ratio of the medians and the range of the rounds' ratios: on a
/// shared two-core machine one round's ratio can move by half between runs minutes apart.
/// --sender sharedmemory|direct|kestrel: what carries each rank's pieces to the next (default sharedmemory where /dev/shm
/// exists, as the workers `trainctl local` starts do: the subscription served by a DirectRingStream, and the pieces moved
/// through shared-memory inboxes in /dev/shm; direct elsewhere, as workers on different machines do: the DirectRingStream
/// sends them over loopback TCP from the vector; kestrel: Kestrel's HTTP/2, as before the direct streams).
/// `Bench ring --peer RANK SIZE PLAN PIECE_BYTES VALUES SENDER` is the child mode.
/// </summary>
internal static class RingBenchmark
{
    private const string Python = "/usr/bin/python3";

    public static int Run(string[] args)
    {
        if (args.Length == 7 && args[0] == "--peer")
        {
            return RingPeer.RunAsync(Int(args[1]), Int(args[2]), ParsePlan(args[3]), Int(args[4]), Enum.Parse<RingValues>(args[5], ignoreCase: true),
                Enum.Parse<RingSender>(args[6], ignoreCase: true)).GetAwaiter().GetResult();
        }

        bool quick = args.Contains("--quick");
        int pieceBytes = Option(args, "--piece-bytes") is { } piece ? Int(piece) : new Training.Collective.RingOptions().MaxPieceBytes;
        int[] sizesMb = Option(args, "--sizes") is { } sizes ? Ints(sizes) : quick ? [1, 4] : [1, 4, 16, 64];
        int[] ranks = Option(args, "--ranks") is { } counts ? Ints(counts) : quick ? [2] : [2, 3, 4];
        RingValues values = Option(args, "--values") is { } kind ? Enum.Parse<RingValues>(kind, ignoreCase: true) : RingValues.Wide;
        int rounds = Option(args, "--rounds") is { } count ? Int(count) : 1;
        RingSender sender = Option(args, "--sender") is { } writer ? Enum.Parse<RingSender>(writer, ignoreCase: true)
            : OperatingSystem.IsLinux() && Directory.Exists(RingPeer.SharedMemoryDirectory) ? RingSender.SharedMemory : RingSender.Direct;
        if (rounds < 1)
        {
            Console.Error.WriteLine($"Invalid --rounds: {rounds} (must be >= 1)");
            return 2;
        }

        // Checked here, once, by the ring's own rule, rather than by every child as it builds its ring.
        try
        {
            new Training.Collective.RingOptions { MaxPieceBytes = pieceBytes }.Validate();
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"Invalid --piece-bytes: {e.Message}");
            return 2;
        }

        string plan = string.Join(',', sizesMb.Select(mb => FormattableString.Invariant($"{mb * 1024L * 1024}:{Iterations(mb)}")));
        string gloo = Path.Combine(AppContext.BaseDirectory, "gloo_allreduce.py");

        Console.WriteLine($"Ring all-reduce of int64 vectors, {Environment.ProcessorCount} cores, gRPC pieces of {pieceBytes} bytes served by {sender}; " +
            "mean of a timed series after as many untimed calls.");
        Console.WriteLine(values == RingValues.Wide
            ? "Values: sums that need all 8 bytes (packing would save nothing, so the reduce-scatter sends them raw)."
            : FormattableString.Invariant($"Values: shaped like a training step's gradient sums; the reduce-scatter packs them to {PackedBytesPerElement():0.00} bytes per element."));
        Console.WriteLine("busbw = 2(n-1)/n · bytes / time. Ratio = gRPC ring busbw / gloo busbw (above 1: faster than gloo).");
        if (rounds > 1)
        {
            Console.WriteLine($"{rounds} rounds of the ring and gloo, alternating: medians of each side, the ratio of the medians, and the range of the rounds' ratios.");
        }

        Console.WriteLine();
        Console.WriteLine(rounds > 1
            ? "| Ranks | Size | Iterations | gRPC ring ms | gRPC ring busbw MB/s | gloo ms | gloo busbw MB/s | Ratio | Rounds' ratios | Ring CPU ms | gloo CPU ms |"
            : "| Ranks | Size | Iterations | gRPC ring ms | gRPC ring busbw MB/s | gloo ms | gloo busbw MB/s | Ratio | Ring CPU ms | gloo CPU ms |");
        Console.WriteLine(rounds > 1 ? "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|" : "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int n in ranks)
        {
            var ours = new List<Dictionary<long, (double Seconds, double Cpu)>>();
            var theirs = new List<Dictionary<long, (double Seconds, double Cpu)>>();
            for (int round = 0; round < rounds; round++)
            {
                ours.Add(RunRing(n, plan, pieceBytes, values, sender));
                if (File.Exists(Python))
                {
                    theirs.Add(RunGloo(gloo, n, plan));
                }
            }

            foreach (int mb in sizesMb)
            {
                long bytes = mb * 1024L * 1024;
                // gloo's rounds that reached this size (a failed run reports the sizes before it), each with the ring's round beside it.
                var pairs = theirs.Zip(ours).Where(pair => pair.First.ContainsKey(bytes)).Select(pair => (Gloo: pair.First[bytes], Ring: pair.Second[bytes])).ToList();
                double a = Median([.. ours.Select(round => round[bytes].Seconds)]);
                double aCpu = Median([.. ours.Select(round => round[bytes].Cpu)]);
                double b = Median([.. pairs.Select(pair => pair.Gloo.Seconds)]);
                double bCpu = Median([.. pairs.Select(pair => pair.Gloo.Cpu)]);
                string range = "";
                if (rounds > 1)
                {
                    double[] ratios = [.. pairs.Select(pair => pair.Gloo.Seconds / pair.Ring.Seconds)];
                    range = ratios.Length > 0 ? FormattableString.Invariant($" {ratios.Min():0.00}-{ratios.Max():0.00} |") : " |";
                }

                Console.WriteLine(FormattableString.Invariant(
                    $"| {n} | {mb} MiB | {Iterations(mb)} | {a * 1e3:0.00} | {BusBandwidth(n, bytes, a):0} | {b * 1e3:0.00} | {BusBandwidth(n, bytes, b):0} | {b / a:0.00} |{range} {aCpu * 1e3:0.00} | {bCpu * 1e3:0.00} |"));
            }
        }

        return 0;
    }

    /// <summary>About 256 MiB of vector per series, between 3 and 32 calls.</summary>
    private static int Iterations(int mb) => Math.Clamp(256 / mb, 3, 32);

    private static double BusBandwidth(int n, long bytes, double seconds) => 2.0 * (n - 1) / n * bytes / seconds / 1e6;

    /// <summary>Bytes per element of one 1 MiB gradient-shaped vector, packed as the reduce-scatter sends it.</summary>
    private static double PackedBytesPerElement()
    {
        long[] vector = Worker.Faults.StandInGradients.Create(1 << 17, seed: 0);
        byte[] packed = new byte[Training.Collective.FixedPointBlocks.MaxPackedBytes(vector.Length)];
        return (double)Training.Collective.FixedPointBlocks.Pack(vector, packed) / vector.Length;
    }

    private static Dictionary<long, (double Seconds, double Cpu)> RunRing(int n, string plan, int pieceBytes, RingValues values, RingSender sender)
    {
        var peers = new List<Process>();
        try
        {
            for (int rank = 0; rank < n; rank++)
            {
                peers.Add(Start(Self()[0], [.. Self()[1..], "ring", "--peer", Text(rank), Text(n), plan, Text(pieceBytes), values.ToString(), sender.ToString()]));
            }

            string ports = string.Join(' ', peers.Select(p => ExpectLine(p, "port ").Split(' ')[1]));
            foreach (Process peer in peers)
            {
                peer.StandardInput.WriteLine($"peers {ports}");
            }

            // Rank 0's "done" ends its results; the others print only "done".
            Dictionary<long, (double Seconds, double Cpu)> results = ReadResults(peers[0]);
            foreach (Process peer in peers.Skip(1))
            {
                ExpectLine(peer, "done");
            }

            foreach (Process peer in peers)
            {
                peer.StandardInput.WriteLine("exit");
            }

            foreach (Process peer in peers)
            {
                peer.WaitForExit();
            }

            return results;
        }
        finally
        {
            foreach (Process peer in peers)
            {
                if (!peer.HasExited)
                {
                    peer.Kill();
                }

                peer.Dispose();
            }
        }
    }

    private static Dictionary<long, (double Seconds, double Cpu)> RunGloo(string script, int n, string plan)
    {
        using Process python = Start(Python, [script, n.ToString(CultureInfo.InvariantCulture), plan]);
        Dictionary<long, (double Seconds, double Cpu)> results = ReadResults(python);
        python.WaitForExit();
        return results;
    }

    /// <summary>Reads "result BYTES ITERATIONS SECONDS CPU_SECONDS" lines until "done" or the end: seconds and CPU seconds per call by size.</summary>
    private static Dictionary<long, (double Seconds, double Cpu)> ReadResults(Process process)
    {
        var results = new Dictionary<long, (double Seconds, double Cpu)>();
        while (process.StandardOutput.ReadLine() is { } line && line != "done")
        {
            string[] parts = line.Split(' ');
            if (parts is ["result", _, _, _, _])
            {
                int iterations = Int(parts[2]);
                results[long.Parse(parts[1], CultureInfo.InvariantCulture)] =
                    (Double(parts[3]) / iterations, Double(parts[4]) / iterations);
            }
        }

        return results;
    }

    private static List<(long Bytes, int Iterations)> ParsePlan(string plan) =>
        [.. plan.Split(',').Select(item => item.Split(':')).Select(p => (long.Parse(p[0], CultureInfo.InvariantCulture), Int(p[1])))];

    private static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    private static double Double(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
