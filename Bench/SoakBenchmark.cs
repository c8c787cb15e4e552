using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DistributedTrainer.Bench.Soak;
using DistributedTrainer.Checkpoints;
using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Transport;
using Grpc.Core;
using static DistributedTrainer.Bench.BenchEnvironment;
using JobsRpc = DistributedTrainer.Protos.V1.Jobs;

namespace DistributedTrainer.Bench;

/// <summary>
/// The chaos soak: a coordinator and <see cref="SoakCluster.Count"/> workers as real processes (each worker behind a <see cref="FaultyProxy"/> that
/// every call to it passes), rounds of the 20 <see cref="SoakJobs"/> queued for --minutes M, and every 2 to 8 s (drawn
/// from --seed S) one fault: a worker SIGKILLed (restarted 1 to 4 s later), SIGTERMed (restarted once it left), or
/// SIGSTOPped for 2 to 6 s (it answers nothing meanwhile); the coordinator SIGKILLed or SIGTERMed and restarted (in the
/// first half only, so that the second half shows one coordinator's resources over minutes); a worker's connections
/// delayed 20 to 200 ms a piece for 3 to 8 s, or all cut at once. Then the last round finishes
/// undisturbed and every job must have SUCCEEDED with a final model.safetensors bitwise equal to its undisturbed
/// `trainctl train`. Prints the faults, the jobs, the mismatches, the coordinator's descriptors, threads and RSS slope
/// (samples every 2 s of its longest-lived incarnation, after 30 s of warm-up) and the processes left behind.
/// Exit code 0 only when no job was lost or differed and no process was left.
/// </summary>
internal static class SoakBenchmark
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DrainLimit = TimeSpan.FromMinutes(10);

    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        double minutes = double.Parse(Option(args, "--minutes") ?? "5", CultureInfo.InvariantCulture);
        int seed = int.Parse(Option(args, "--seed") ?? "1", CultureInfo.InvariantCulture);
        string directory = Directory.CreateTempSubdirectory($"dt-soak-{seed}-").FullName;
        string data = Directory.CreateDirectory(Path.Combine(directory, "data")).FullName;
        string logs = Directory.CreateDirectory(Path.Combine(directory, "logs")).FullName;
        Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; soak --minutes {minutes} --seed {seed}; {Environment.ProcessorCount} cores; load average {LoadAverage()}; files in {directory}");

        var specs = SoakJobs.Write(data);
        var references = TrainReferences(specs, Path.Combine(directory, "references"));
        Console.WriteLine($"{specs.Count} reference runs of trainctl train done; load average {LoadAverage()}");

        await using var cluster = new SoakCluster(directory, data, logs);
        await cluster.StartAsync();
        var random = new Random(seed);
        var faults = new Dictionary<string, int>(StringComparer.Ordinal);
        var jobs = new List<(string JobId, int Spec)>();
        var clock = Stopwatch.StartNew();
        var end = TimeSpan.FromMinutes(minutes);
        var nextFault = TimeSpan.FromSeconds(random.Next(2, 9));
        int round = 0;
        List<(string JobId, int Spec)> pending = [];
        while (clock.Elapsed < end)
        {
            if (pending.Count == 0)
            {
                round++;
                pending = await cluster.SubmitAllAsync(specs);
                jobs.AddRange(pending);
            }
            if (clock.Elapsed >= nextFault)
            {
                string fault = await cluster.InjectAsync(random, coordinatorFaults: clock.Elapsed < end / 2);
                if (!fault.StartsWith("none", StringComparison.Ordinal))
                {
                    faults[fault] = faults.GetValueOrDefault(fault) + 1;
                }
                Console.WriteLine(FormattableString.Invariant($"[{clock.Elapsed.TotalSeconds,6:0.0} s] {fault}; load average {LoadAverage()}"));
                nextFault = clock.Elapsed + TimeSpan.FromSeconds(2 + random.NextDouble() * 6);
            }
            await cluster.TickAsync();
            pending = await cluster.UnfinishedAsync(pending);
            await Task.Delay(500);
        }
        Console.WriteLine($"Faults stop after {minutes} min; {pending.Count} jobs of round {round} still to finish.");
        await cluster.HealAsync();
        var drain = Stopwatch.StartNew();
        while (pending.Count > 0 && drain.Elapsed < DrainLimit)
        {
            await cluster.TickAsync();
            pending = await cluster.UnfinishedAsync(pending);
            await Task.Delay(1000);
        }

        int succeeded = 0;
        var lost = new List<string>();
        var mismatches = new List<string>();
        foreach (var (jobId, spec) in jobs)
        {
            var job = await cluster.GetAsync(jobId);
            if (job?.State != JobState.Succeeded)
            {
                lost.Add($"{jobId} (soak-{spec:D2}): {job?.State.ToString() ?? "unknown"} {job?.Message}");
                continue;
            }
            succeeded++;
            if (!cluster.FinalModel(jobId).AsSpan().SequenceEqual(references[spec]))
            {
                mismatches.Add($"{jobId} (soak-{spec:D2})");
            }
        }
        var samples = cluster.Samples;
        await cluster.DisposeAsync();
        var leftBehind = ProcessesUnder(directory);

        int faultCount = faults.Values.Sum();
        Console.WriteLine();
        Console.WriteLine($"| Figure | Value |");
        Console.WriteLine($"|---|---|");
        Console.WriteLine($"| Duration of faults | {minutes} min, {round} rounds of {SoakJobs.Count} jobs |");
        Console.WriteLine($"| Faults injected | {faultCount} ({string.Join(", ", faults.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key} {pair.Value}"))}) |");
        Console.WriteLine($"| Jobs completed | {succeeded} of {jobs.Count} |");
        Console.WriteLine($"| Jobs lost | {lost.Count} |");
        Console.WriteLine($"| Mismatches with trainctl train | {mismatches.Count} |");
        Console.WriteLine(Leaks(samples));
        Console.WriteLine($"| Processes left behind | {leftBehind.Count} |");
        Console.WriteLine($"| Load average at the end | {LoadAverage()} |");
        foreach (string line in lost.Concat(mismatches.Select(job => $"{job}: final parameters differ")).Concat(leftBehind))
        {
            Console.WriteLine($"  {line}");
        }
        return lost.Count == 0 && mismatches.Count == 0 && leftBehind.Count == 0 ? 0 : 1;
    }

    /// <summary>Runs `trainctl train SPEC --out DIR --threads 1` for each spec; returns each final model.safetensors.</summary>
    private static List<byte[]> TrainReferences(IReadOnlyList<string> specs, string directory)
    {
        string trainctl = ClusterBenchmark.LocateTrainctl();
        var models = new List<byte[]>();
        foreach (string spec in specs)
        {
            string output = Path.Combine(directory, Path.GetFileNameWithoutExtension(spec));
            var start = new ProcessStartInfo("dotnet", [trainctl, "train", spec, "--out", output, "--threads", "1", "--json"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"trainctl train {spec} exited {process.ExitCode}: {stderr.Result}");
            }
            string newest = new CheckpointStore(Path.Combine(output, "checkpoints")).List()[0];
            models.Add(File.ReadAllBytes(Path.Combine(newest, CheckpointStore.ModelFile)));
        }
        return models;
    }

    /// <summary>The coordinator's descriptors, threads and RSS over its longest-lived incarnation (the last), after the warm-up.</summary>
    private static string Leaks(IReadOnlyList<CoordinatorSample> samples)
    {
        var longest = samples.GroupBy(sample => sample.Incarnation)
            .Select(group => group.Where(sample => sample.SinceStart >= WarmUp).ToList())
            .MaxBy(group => group.Count);
        if (longest is not { Count: >= 2 })
        {
            return "| Coordinator after warm-up | no incarnation lived past the warm-up |";
        }
        double slope = RssSlope(longest);
        // The second half's slope tells a rise to a working size (it flattens) from a leak (it keeps the pace).
        double laterSlope = longest.Count >= 4 ? RssSlope(longest[(longest.Count / 2)..]) : double.NaN;
        var first = longest[0];
        var last = longest[^1];
        return FormattableString.Invariant(
            $"| Coordinator (longest incarnation, {(last.SinceStart - first.SinceStart).TotalMinutes:0.0} min after warm-up) | descriptors {first.Descriptors} -> {last.Descriptors} (max {longest.Max(sample => sample.Descriptors)}), threads {first.Threads} -> {last.Threads} (max {longest.Max(sample => sample.Threads)}), RSS {first.RssMiB:0} -> {last.RssMiB:0} MiB, slope {slope:+0.0;-0.0} MiB/min (second half {laterSlope:+0.0;-0.0}) |");
    }

    /// <summary>Least-squares slope of RSS over time, MiB per minute.</summary>
    private static double RssSlope(IReadOnlyList<CoordinatorSample> samples)
    {
        double meanT = samples.Average(sample => sample.SinceStart.TotalMinutes);
        double meanR = samples.Average(sample => sample.RssMiB);
        return samples.Sum(sample => (sample.SinceStart.TotalMinutes - meanT) * (sample.RssMiB - meanR))
            / samples.Sum(sample => Math.Pow(sample.SinceStart.TotalMinutes - meanT, 2));
    }

    /// <summary>Processes still running whose command line names <paramref name="directory"/>.</summary>
    private static List<string> ProcessesUnder(string directory)
    {
        var left = new List<string>();
        foreach (string proc in Directory.EnumerateDirectories("/proc"))
        {
            string pid = Path.GetFileName(proc);
            if (!pid.All(char.IsAsciiDigit) || pid == Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            {
                continue;
            }
            try
            {
                string commandLine = File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(directory, StringComparison.Ordinal))
                {
                    left.Add($"left behind: pid {pid}: {commandLine}");
                }
            }
            catch (Exception gone) when (gone is IOException or UnauthorizedAccessException)
            {
                // Exited while listed.
            }
        }
        return left;
    }

    /// <summary>A free loopback port (bound and released: a later bind may rarely lose it to another process).</summary>
    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
