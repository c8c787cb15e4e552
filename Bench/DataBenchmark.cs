using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using DistributedTrainer.Bench.Soak;
using DistributedTrainer.Data;
using DistributedTrainer.Data.Shards;
using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Transport;
using Grpc.Core;
using Microsoft.Win32.SafeHandles;
using static DistributedTrainer.Bench.BenchEnvironment;
using JobsRpc = DistributedTrainer.Protos.V1.Jobs;

namespace DistributedTrainer.Bench;

/// <summary>
/// Streaming reads of a large sharded data set (issue 17): generates a synthetic uint8 data set of --gigabytes G
/// (default 8; 3072 bytes per sample, 100 000 samples per shard) under --dir (default the temp directory, after df
/// says it has room), trains --steps N (default 200) of an MLP on a coordinator and 2 worker processes (1 thread each),
/// then cancels (the training shards are evicted from the page cache first, so the steps read cold), and prints each process's peak resident memory (VmHWM) against the goals (workers under 400 MB,
/// coordinator under 300 MB). Then read throughput on one shard file with a cold page cache (posix_fadvise DONTNEED):
/// `dd bs=16M` beside the workers' path (Dataset.Gather, positional reads) in file order and in random
/// order over the whole data set; and how long a step waits for its reads with and without SampleReadAhead. The data set
/// is deleted at the end, also when a step fails.
/// </summary>
internal static partial class DataBenchmark
{
    private const int SampleBytes = 3 * 32 * 32;
    private const int ShardSize = 100_000;
    private const int Batch = 256;
    private const int Workers = 2;
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(60);

    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        double gigabytes = double.Parse(Option(args, "--gigabytes") ?? "8", CultureInfo.InvariantCulture);
        int steps = int.Parse(Option(args, "--steps") ?? "200", CultureInfo.InvariantCulture);
        string parent = Option(args, "--dir") ?? Path.GetTempPath();
        long samples = (long)(gigabytes * 1e9 / SampleBytes);
        long needed = samples * SampleBytes + (2L << 30);
        long free = FreeBytes(parent);
        Console.WriteLine(Invariant($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {Environment.ProcessorCount} cores; {MemoryTotal()}; load average {LoadAverage()}"));
        Console.WriteLine(Invariant($"df: {free / 1e9:0.0} GB free under {parent}; the data set needs {needed / 1e9:0.0} GB (with 2 GiB to spare)"));
        if (free < needed)
        {
            Console.Error.WriteLine(Invariant($"Bench data: not enough free disk under {parent} ({free / 1e9:0.0} GB free, {needed / 1e9:0.0} GB needed); pass --dir or --gigabytes"));
            return 2;
        }
        string directory = Directory.CreateDirectory(Path.Combine(parent, $"dt-bench-data-{Guid.NewGuid():N}")).FullName;
        try
        {
            string data = Path.Combine(directory, "data");
            Directory.CreateDirectory(data);
            var clock = Stopwatch.StartNew();
            Generate(Path.Combine(data, "train"), samples, seed: 1);
            Generate(Path.Combine(data, "test"), 10_000, seed: 2);
            long bytes = DirectoryBytes(Path.Combine(data, "train"));
            Console.WriteLine(Invariant($"Generated {samples:N0} training samples ({bytes / 1e9:0.00} GB in {(samples + ShardSize - 1) / ShardSize} shards) in {clock.Elapsed.TotalSeconds:0} s; load average {LoadAverage()}"));

            // The data set was just written, so its pages sit in the page cache: dropped here, the steps' reads are
            // cold, which is what a worker of a data set larger than memory meets (and what a prefetch has to hide).
            Evict(Directory.GetFiles(Path.Combine(data, "train")));
            var peaks = await TrainAsync(directory, data, steps);
            Console.WriteLine();
            Console.WriteLine("| Process | Peak RSS (VmHWM) | Goal | Met |");
            Console.WriteLine("|---|---:|---:|---|");
            foreach (var (name, peak) in peaks.Processes)
            {
                double goal = name.StartsWith("worker", StringComparison.Ordinal) ? 400 : 300;
                Console.WriteLine(Invariant($"| {name} | {peak:0} MB | < {goal:0} MB | {(peak < goal ? "yes" : "NO")} |"));
            }
            double perWorker = steps * (double)Batch / Workers * SampleBytes / peaks.Seconds / 1e6;
            Console.WriteLine(Invariant(
                $"{steps} steps of batch {Batch} (training shards evicted from the page cache first) in {peaks.Seconds:0.0} s, {peaks.Seconds / steps * 1000:0.0} ms a step: {steps * (double)Batch / peaks.Seconds:0} samples/s in all, {perWorker:0.0} MB/s of sample data per worker; load average {LoadAverage()}"));

            Console.WriteLine();
            Throughput(Path.Combine(data, "train"));
            Console.WriteLine();
            await ReadAheadAsync(Path.Combine(data, "train"));
            return peaks.Processes.All(process => process.PeakMiB < (process.Name.StartsWith("worker", StringComparison.Ordinal) ? 400 : 300)) ? 0 : 1;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
            Console.WriteLine($"Deleted {directory}");
        }
    }

    // Class c's samples are bright in a band of rows that depends on c, noise elsewhere: learnable, not constant.
    private static void Generate(string directory, long samples, int seed)
    {
        // Noise from a 1 MiB pool at a moving offset: drawing 8 GB of random bytes would take longer than the benchmark.
        var pool = new byte[1 << 20];
        new Random(seed).NextBytes(pool);
        var features = new byte[SampleBytes];
        var label = new byte[1];
        Directory.CreateDirectory(directory);
        using var writer = new ShardWriter(directory, NpyDType.UInt8, [3, 32, 32], TargetKind.ClassIds, NpyDType.UInt8, [], 10, samples, ShardSize);
        for (long i = 0; i < samples; i++)
        {
            label[0] = (byte)(i % 10);
            pool.AsSpan((int)(i * 7919 % (pool.Length - SampleBytes)), SampleBytes).CopyTo(features);
            features.AsSpan(label[0] * 300, 300).Fill(255);
            writer.Add(features, label);
        }
        writer.Complete();
    }

    private sealed record Peaks(List<(string Name, double PeakMiB)> Processes, double Seconds);

    private static async Task<Peaks> TrainAsync(string directory, string data, int steps)
    {
        string logs = Directory.CreateDirectory(Path.Combine(directory, "logs")).FullName;
        int port = SoakBenchmark.FreePort();
        var processes = new List<(string Name, SoakProcess Process)>();
        try
        {
            var coordinator = SoakProcess.Start("Coordinator.dll",
                ["--port", Text(port), "--state-dir", Path.Combine(directory, "state"), "--data-root", data], Path.Combine(logs, "coordinator.log"));
            processes.Add(("coordinator", coordinator));
            await Listening(coordinator, "coordinator", logs);
            for (int i = 1; i <= Workers; i++)
            {
                var worker = SoakProcess.Start("Worker.dll",
                    ["--coordinator", $"http://127.0.0.1:{port}", "--port", "0", "--threads", "1", "--name", $"w{i}", "--data-root", data],
                    Path.Combine(logs, $"worker-{i}.log"));
                processes.Add(($"worker {i}", worker));
                await Listening(worker, $"worker-{i}", logs);
            }

            var peaks = new double[processes.Count];
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    for (int i = 0; i < processes.Count; i++)
                    {
                        peaks[i] = Math.Max(peaks[i], PeakMiB(processes[i].Process.Id));
                    }
                    await Task.Delay(200);
                }
            });

            using var channel = GrpcChannels.Create(new Uri($"http://127.0.0.1:{port}"));
            var jobs = new JobsRpc.JobsClient(channel);
            var spec = Spec(data);
            string jobId = (await jobs.SubmitJobAsync(new SubmitJobRequest { Spec = spec })).JobId;
            var clock = new Stopwatch();
            using (var watch = jobs.WatchJob(new WatchJobRequest { JobId = jobId }, deadline: DateTime.UtcNow.AddMinutes(30)))
            {
                await foreach (var jobEvent in watch.ResponseStream.ReadAllAsync())
                {
                    if (jobEvent.Step is { } step && step.Step == 1)
                    {
                        clock.Start();
                    }
                    if (jobEvent.Step?.Step >= steps)
                    {
                        clock.Stop();
                        await jobs.CancelJobAsync(new CancelJobRequest { JobId = jobId });
                        break;
                    }
                    if (jobEvent.HasState && jobEvent.State is JobState.Failed or JobState.Succeeded or JobState.Cancelled)
                    {
                        throw new InvalidOperationException($"job {jobId} ended as {jobEvent.State} before step {steps}; see {logs}");
                    }
                }
            }
            await Task.Delay(1000);
            await sampling.CancelAsync();
            await sampler;
            // Step 1 started the clock: steps - 1 steps were timed.
            return new Peaks([.. processes.Select((process, i) => (process.Name, peaks[i]))], clock.Elapsed.TotalSeconds * steps / (steps - 1));
        }
        finally
        {
            foreach (var (_, process) in processes)
            {
                process.Dispose();
            }
        }
    }

    private static JobSpec Spec(string data)
    {
        var spec = JobSpecLoader.Parse($$"""
            name: data-bench
            dataset: { format: SHARDS, train_path: {{data}}/train, test_path: {{data}}/test, normalization: SCALE }
            model:
              layers:
                - dense: { units: 32 }
                - activation: { kind: RELU }
                - dense: { units: 10 }
            loss: { kind: SOFTMAX_CROSS_ENTROPY }
            optimizer: { kind: ADAM, learning_rate: 0.001 }
            batch_size: {{Batch}}
            micro_shard_size: 32
            epochs: 1
            min_workers: {{Workers}}
            seed: 1
            """, SpecFormat.Yaml);
        return spec;
    }

    private static async Task Listening(SoakProcess process, string name, string logs)
    {
        if (!await process.WaitListeningAsync(StartLimit))
        {
            throw new InvalidOperationException($"{name} did not start within {StartLimit.TotalSeconds} s; see {logs}/{name}.log");
        }
    }

    // Cold reads of one shard: dd, then the workers' gather in file order, then in random order across every shard.
    private static void Throughput(string train)
    {
        var files = Directory.GetFiles(train, "*.features.npy").Order(StringComparer.Ordinal).ToArray();
        string file = files[0];
        long length = new FileInfo(file).Length;
        Console.WriteLine(Invariant($"Read throughput, cold page cache, one shard file ({length / 1e6:0} MB, {Path.GetFileName(file)}):"));
        Console.WriteLine();
        Console.WriteLine("| Reader | MB/s | vs dd |");
        Console.WriteLine("|---|---:|---:|");
        Evict(files);
        double dd = Dd(file);
        Console.WriteLine(Invariant($"| dd if=FILE of=/dev/null bs=16M | {dd:0} | 1.00 |"));

        var (data, _) = ShardedDataset.Open(train);
        data = data.WithNormalization(Normalization.Fit(NormalizationKind.Scale, data));
        Evict(files);
        int[] inOrder = [.. Enumerable.Range(0, ShardSize)];
        double ordered = Gather(data, inOrder);
        Console.WriteLine(Invariant($"| Dataset.Gather (pread), file order, batches of {Batch} | {ordered:0} | {ordered / dd:0.00} |"));
        Evict(files);
        var random = new Random(3);
        int[] shuffled = [.. Enumerable.Range(0, 20_000).Select(_ => random.Next(data.Count))];
        double scattered = Gather(data, shuffled);
        Console.WriteLine(Invariant($"| Dataset.Gather (pread), random samples over all shards, batches of {Batch} | {scattered:0} | {scattered / dd:0.00} |"));
        Console.WriteLine();
        Console.WriteLine(Invariant($"load average {LoadAverage()}"));
    }

    // What a worker's step waits for reads: cold batches of one worker's share of random samples, each followed by a
    // step's computation, stood in for by a sleep (so that the figure does not follow the machine's load). Gathered
    // directly, the step waits for every read; with SampleReadAhead the next batch is read while the sleep runs, and the
    // step waits only for what is not read by then.
    private static async Task ReadAheadAsync(string train)
    {
        const int steps = 100;
        const int computeMs = 20;
        var files = Directory.GetFiles(train);
        var (data, _) = ShardedDataset.Open(train);
        data = data.WithNormalization(Normalization.Fit(NormalizationKind.Scale, data));
        var random = new Random(5);
        int[][] batches = [.. Enumerable.Range(0, steps).Select(_ => Enumerable.Range(0, Batch / Workers).Select(_ => random.Next(data.Count)).ToArray())];
        var features = new float[Batch / Workers * data.FeatureCount];
        var labels = new int[Batch / Workers];

        Evict(files);
        var waited = TimeSpan.Zero;
        foreach (int[] batch in batches)
        {
            long start = Stopwatch.GetTimestamp();
            data.Gather(features, labels, batch);
            waited += Stopwatch.GetElapsedTime(start);
            Thread.Sleep(computeMs);
        }
        double direct = waited.TotalMilliseconds / steps;

        Evict(files);
        waited = TimeSpan.Zero;
        long hits = 0;
        await using (var readAhead = SampleReadAhead.For(data)!)
        {
            readAhead.Prefetch(batches[0]);
            for (int step = 0; step < steps; step++)
            {
                long start = Stopwatch.GetTimestamp();
                await readAhead.UseAsync(CancellationToken.None);
                readAhead.Prefetch(step + 1 < steps ? batches[step + 1] : []);
                readAhead.Data.Gather(features, labels, batches[step]);
                waited += Stopwatch.GetElapsedTime(start);
                Thread.Sleep(computeMs);
                hits += readAhead.Release().Hits;
            }
        }
        double ahead = waited.TotalMilliseconds / steps;
        Console.WriteLine(Invariant($"A worker's reads per step, cold, {steps} steps of {Batch / Workers} random samples, {computeMs} ms of computation (a sleep) each:"));
        Console.WriteLine();
        Console.WriteLine("| Reads | Step waits (ms/step) |");
        Console.WriteLine("|---|---:|");
        Console.WriteLine(Invariant($"| Dataset.Gather during the step | {direct:0.00} |"));
        Console.WriteLine(Invariant($"| SampleReadAhead one step ahead ({hits} of {steps * (Batch / Workers)} samples read ahead) | {ahead:0.00} |"));
        Console.WriteLine();
        Console.WriteLine(Invariant($"load average {LoadAverage()}"));
    }

    private static double Gather(Dataset data, int[] ids)
    {
        var features = new float[Batch * data.FeatureCount];
        var labels = new int[Batch];
        var clock = Stopwatch.StartNew();
        for (int start = 0; start + Batch <= ids.Length; start += Batch)
        {
            data.Gather(features, labels, ids.AsSpan(start, Batch));
        }
        return ids.Length / Batch * Batch * (double)SampleBytes / clock.Elapsed.TotalSeconds / 1e6;
    }

    private static double Dd(string file)
    {
        var start = new ProcessStartInfo("dd", [$"if={file}", "of=/dev/null", "bs=16M"]) { RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        string report = process.StandardError.ReadToEnd();
        process.WaitForExit();
        // "N bytes (...) copied, S s, R MB/s": bytes and seconds, so the unit of R does not matter.
        var match = DdReport().Match(report);
        return match.Success
            ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) / double.Parse(match.Groups[2].Value.Replace(',', '.'), CultureInfo.InvariantCulture) / 1e6
            : throw new InvalidOperationException($"dd printed no rate: {report}");
    }

    private static void Evict(string[] files)
    {
        foreach (string file in files)
        {
            using var handle = File.OpenHandle(file);
            // POSIX_FADV_DONTNEED (4): drop the file's clean pages from the page cache, so the next read comes from disk.
            _ = PosixFadvise(handle, 0, 0, 4);
        }
    }

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int PosixFadvise(SafeFileHandle file, long offset, long length, int advice);

    [GeneratedRegex(@"^(\d+) bytes .* copied, ([0-9.,]+) s", RegexOptions.Multiline)]
    private static partial Regex DdReport();

    private static double PeakMiB(int pid)
    {
        try
        {
            string? line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(text => text.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : double.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
        }
        catch (Exception gone) when (gone is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static long FreeBytes(string path)
    {
        var start = new ProcessStartInfo("df", ["-B1", "--output=avail", path]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return long.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1], CultureInfo.InvariantCulture);
    }

    private static long DirectoryBytes(string directory) => Directory.GetFiles(directory).Sum(file => new FileInfo(file).Length);

    private static string MemoryTotal() =>
        File.ReadLines("/proc/meminfo").FirstOrDefault(line => line.StartsWith("MemTotal:", StringComparison.Ordinal))?.Replace("MemTotal:", "memory", StringComparison.Ordinal).Trim() ?? "memory ?";

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
