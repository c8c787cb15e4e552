using System.Diagnostics;
using System.Globalization;

namespace DistributedTrainer.Bench;

/// <summary>
/// Ring all-reduce time and bus bandwidth (2(n-1)/n · bytes / time, the nccl-tests convention) of
/// <see cref="Training.Collective.RingAllReduce"/> over gRPC between n child processes on loopback, beside
/// PyTorch's gloo all-reduce (Bench/gloo_allreduce.py) with the same int64 vectors, ranks and iterations.
/// Prints a Markdown table. Options: --quick (2 ranks, 1 and 4 MiB), --piece-bytes N (default 1 MiB).
/// `Bench ring --peer RANK SIZE PLAN PIECE_BYTES` is the child mode.
/// </summary>
internal static class RingBenchmark
{
    private const string Python = "/usr/bin/python3";

    public static int Run(string[] args)
    {
        if (args.Length == 5 && args[0] == "--peer")
        {
            return RingPeer.RunAsync(Int(args[1]), Int(args[2]), ParsePlan(args[3]), Int(args[4])).GetAwaiter().GetResult();
        }

        bool quick = args.Contains("--quick");
        int at = Array.IndexOf(args, "--piece-bytes");
        int pieceBytes = at >= 0 && at + 1 < args.Length ? Int(args[at + 1]) : new Training.Collective.RingOptions().MaxPieceBytes;
        int[] sizesMb = quick ? [1, 4] : [1, 4, 16, 64];
        int[] ranks = quick ? [2] : [2, 3, 4];
        string plan = string.Join(',', sizesMb.Select(mb => FormattableString.Invariant($"{mb * 1024L * 1024}:{Iterations(mb)}")));
        string gloo = Path.Combine(AppContext.BaseDirectory, "gloo_allreduce.py");

        Console.WriteLine($"Ring all-reduce of int64 vectors, {Environment.ProcessorCount} cores, gRPC pieces of {pieceBytes} bytes; mean of a timed series after one untimed call.");
        Console.WriteLine("busbw = 2(n-1)/n · bytes / time. Ratio = gRPC ring busbw / gloo busbw (above 1: faster than gloo).");
        Console.WriteLine();
        Console.WriteLine("| Ranks | Size | Iterations | gRPC ring ms | gRPC ring busbw MB/s | gloo ms | gloo busbw MB/s | Ratio |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int n in ranks)
        {
            Dictionary<long, double> ours = RunRing(n, plan, pieceBytes);
            Dictionary<long, double> theirs = File.Exists(Python) ? RunGloo(gloo, n, plan) : [];
            foreach (int mb in sizesMb)
            {
                long bytes = mb * 1024L * 1024;
                double a = ours[bytes];
                double b = theirs.TryGetValue(bytes, out double t) ? t : double.NaN;
                Console.WriteLine(FormattableString.Invariant(
                    $"| {n} | {mb} MiB | {Iterations(mb)} | {a * 1e3:0.0} | {BusBandwidth(n, bytes, a):0} | {b * 1e3:0.0} | {BusBandwidth(n, bytes, b):0} | {b / a:0.00} |"));
            }
        }

        return 0;
    }

    /// <summary>About 256 MiB of vector per series, between 3 and 32 calls.</summary>
    private static int Iterations(int mb) => Math.Clamp(256 / mb, 3, 32);

    private static double BusBandwidth(int n, long bytes, double seconds) => 2.0 * (n - 1) / n * bytes / seconds / 1e6;

    private static Dictionary<long, double> RunRing(int n, string plan, int pieceBytes)
    {
        var peers = new List<Process>();
        try
        {
            for (int rank = 0; rank < n; rank++)
            {
                peers.Add(Start(SelfCommand(), [.. SelfArguments(), "ring", "--peer", Text(rank), Text(n), plan, Text(pieceBytes)]));
            }

            string ports = string.Join(' ', peers.Select(p => ExpectLine(p, "port ").Split(' ')[1]));
            foreach (Process peer in peers)
            {
                peer.StandardInput.WriteLine($"peers {ports}");
            }

            // Rank 0's "done" ends its results; the others print only "done".
            Dictionary<long, double> results = ReadResults(peers[0]);
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

    private static Dictionary<long, double> RunGloo(string script, int n, string plan)
    {
        using Process python = Start(Python, [script, n.ToString(CultureInfo.InvariantCulture), plan]);
        Dictionary<long, double> results = ReadResults(python);
        python.WaitForExit();
        return results;
    }

    /// <summary>Reads "result BYTES ITERATIONS SECONDS" lines until "done" or the end: seconds per call by size.</summary>
    private static Dictionary<long, double> ReadResults(Process process)
    {
        var results = new Dictionary<long, double>();
        while (process.StandardOutput.ReadLine() is { } line && line != "done")
        {
            string[] parts = line.Split(' ');
            if (parts is ["result", _, _, _])
            {
                results[long.Parse(parts[1], CultureInfo.InvariantCulture)] =
                    double.Parse(parts[3], CultureInfo.InvariantCulture) / Int(parts[2]);
            }
        }

        return results;
    }

    private static string ExpectLine(Process process, string prefix)
    {
        string line = process.StandardOutput.ReadLine()
            ?? throw new InvalidDataException($"process {process.Id} ended before printing '{prefix}': {process.StandardError.ReadToEnd()}");
        return line.StartsWith(prefix, StringComparison.Ordinal)
            ? line
            : throw new InvalidDataException($"process {process.Id} printed '{line}', expected '{prefix}...'");
    }

    private static Process Start(string fileName, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
    }

    // Under `dotnet Bench.dll` the process is the dotnet host and the assembly path comes first.
    private static string SelfCommand() => Environment.ProcessPath ?? throw new InvalidOperationException("no process path");

    private static string[] SelfArguments() =>
        Path.GetFileNameWithoutExtension(SelfCommand()) == "dotnet" ? [typeof(RingBenchmark).Assembly.Location] : [];

    private static List<(long Bytes, int Iterations)> ParsePlan(string plan) =>
        [.. plan.Split(',').Select(item => item.Split(':')).Select(p => (long.Parse(p[0], CultureInfo.InvariantCulture), Int(p[1])))];

    private static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
