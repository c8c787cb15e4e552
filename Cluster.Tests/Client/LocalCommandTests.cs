using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using DistributedTrainer.Client.Local;
using DistributedTrainer.Numerics;
using DistributedTrainer.Tests.Coordinator;
using Xunit;

namespace DistributedTrainer.Tests.Client;

/// <summary>`trainctl local` run as a process, as a user runs it, with the built Coordinator and Worker beside it.</summary>
public sealed class LocalCommandTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-local-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("--workers", "0")]
    [InlineData("--threads-per-worker", "0")]
    [InlineData("--epochs", "0")]
    public void Local_FlagBelowOne_ExitsWith2AndNamesTheFlag(string flag, string value)
    {
        var arguments = new List<string> { "local", WriteSpec(), "--out", Path.Combine(_directory, "out") };
        if (flag != "--workers")
        {
            arguments.AddRange(["--workers", "2"]);
        }
        arguments.AddRange([flag, value]);

        var result = TrainctlProcess.Run(Timeout, [.. arguments]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(flag + ":", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, "out", "pids")), "no process may be started for bad flags");
    }

    [Fact]
    public void Local_PinWorkersOnMoreCpusThanThere_ExitsWith2AndNamesTheFlag()
    {
        string threads = (CpuAffinity.Allowed().Count + 1).ToString(CultureInfo.InvariantCulture);

        var result = TrainctlProcess.Run(Timeout, "local", WriteSpec(), "--workers", "1", "--threads-per-worker", threads, "--pin-workers",
            "--out", Path.Combine(_directory, "out"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--pin-workers: 1 worker(s) x {threads} thread(s) need {threads} CPUs of their own", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, "out", "pids")), "no process may be started for bad flags");
    }

    [Fact]
    public void Local_PinWorkers_EachWorkerComputesOnACpuOfItsOwn()
    {
        var cpus = CpuAffinity.Allowed();
        int workers = Math.Min(2, cpus.Count);
        string output = Path.Combine(_directory, "out");
        try
        {
            var result = TrainctlProcess.Run(Timeout, "local", WriteSpec(epochs: 1), "--workers", workers.ToString(CultureInfo.InvariantCulture),
                "--threads-per-worker", "1", "--pin-workers", "--json", "--out", output);

            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Contains($"confined to CPUs {string.Join(" / ", cpus.Take(workers))}", result.Stderr, StringComparison.Ordinal);
            for (int worker = 1; worker <= workers; worker++)
            {
                string log = File.ReadAllText(Path.Combine(output, "logs", $"worker-{worker}.log"));
                Assert.Contains($"Threads confined to CPUs {cpus[worker - 1]} (--cpus)", log, StringComparison.Ordinal);
            }
        }
        finally
        {
            KillRemaining(output);
        }
    }

    [Fact]
    public void Local_OwnShardsOnlyAndRingOverTcp_WorkersGetNeitherAShardBoardNorRingInboxes()
    {
        string output = Path.Combine(_directory, "out");
        try
        {
            var result = TrainctlProcess.Run(Timeout, "local", WriteSpec(epochs: 1), "--workers", "2", "--threads-per-worker", "1",
                "--own-shards-only", "--ring-over-tcp", "--json", "--out", output);

            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.False(Directory.Exists(Path.Combine(output, "shard-board")));
            Assert.DoesNotContain("shared-memory inboxes", File.ReadAllText(Path.Combine(output, "logs", "worker-1.log")), StringComparison.Ordinal);
        }
        finally
        {
            KillRemaining(output);
        }
    }

    [Fact]
    public void Local_WithoutWorkers_ExitsWith2AndNamesTheFlag()
    {
        var result = TrainctlProcess.Run(Timeout, "local", WriteSpec());

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--workers", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("3:drop-ring@2")]
    [InlineData("2:crash")]
    [InlineData("1:drop-ring@2", "2:drop-ring@2")]
    [InlineData("1:exit@2", "2:drop-ring@2")]
    [InlineData("coordinator:restart@0")]
    public void Local_BadFault_ExitsWith2AndNamesTheFlag(params string[] faults)
    {
        var arguments = new List<string> { "local", WriteSpec(), "--workers", "2", "--out", Path.Combine(_directory, "out") };
        arguments.AddRange(faults.SelectMany(fault => new[] { "--fault", fault }));

        var result = TrainctlProcess.Run(Timeout, [.. arguments]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--fault", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, "out", "pids")), "no process may be started for bad flags");
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("3:cpu")]
    [InlineData("cuda", "cpu")]
    [InlineData("1:cuda:64")]
    public void Local_BadDevice_ExitsWith2AndNamesTheFlag(params string[] devices)
    {
        var arguments = new List<string> { "local", WriteSpec(), "--workers", "2", "--out", Path.Combine(_directory, "out") };
        arguments.AddRange(devices.SelectMany(device => new[] { "--device", device }));

        var result = TrainctlProcess.Run(Timeout, [.. arguments]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--device", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, "out", "pids")), "no process may be started for bad flags");
    }

    [Fact]
    public void Local_SecondWorkerOnTheCpuAccelerator_ComputesThereAndTrainsToTheCpuClustersAccuracy()
    {
        string cpu = Path.Combine(_directory, "cpu");
        string mixed = Path.Combine(_directory, "mixed");
        try
        {
            string spec = WriteSpec(epochs: 4);
            var expected = TrainctlProcess.Run(Timeout, "local", spec, "--workers", "2", "--threads-per-worker", "1", "--json", "--out", cpu);
            var actual = TrainctlProcess.Run(Timeout, "local", spec, "--workers", "2", "--threads-per-worker", "1", "--json", "--out", mixed,
                "--device", "2:cpu-accelerator");

            Assert.True(expected.ExitCode == 0, expected.Stderr);
            Assert.True(actual.ExitCode == 0, actual.Stderr);
            Assert.Contains("on worker-1 cpu, worker-2 cpu-accelerator", actual.Stderr, StringComparison.Ordinal);
            Assert.Contains("Gradients computed on", File.ReadAllText(Path.Combine(mixed, "logs", "worker-2.log")), StringComparison.Ordinal);
            Assert.DoesNotContain("Gradients computed on", File.ReadAllText(Path.Combine(mixed, "logs", "worker-1.log")), StringComparison.Ordinal);
            using var expectedSummary = JsonDocument.Parse(expected.Stdout);
            using var actualSummary = JsonDocument.Parse(actual.Stdout);
            double cpuAccuracy = expectedSummary.RootElement.GetProperty("test_accuracy").GetDouble();
            // The device kernels round differently from the SIMD ones, so the runs are close, not bitwise equal.
            Assert.InRange(actualSummary.RootElement.GetProperty("test_accuracy").GetDouble(), cpuAccuracy - 0.05, cpuAccuracy + 0.05);
            Assert.True(cpuAccuracy > 0.9, $"the CPU cluster reached only {cpuAccuracy:P1}");
            Assert.Empty(Remaining(ReadPids(mixed)));
        }
        finally
        {
            KillRemaining(cpu);
            KillRemaining(mixed);
        }
    }

    [Fact]
    public void Local_WorkerDropsItsRingPieces_JobFinishesOnTheOtherNamingItWithTheUndisturbedResult()
    {
        string undisturbed = Path.Combine(_directory, "undisturbed");
        string drilled = Path.Combine(_directory, "drilled");
        try
        {
            var expected = TrainctlProcess.Run(Timeout, "local", WriteSpec(), "--workers", "2", "--threads-per-worker", "1", "--json", "--out", undisturbed);
            var actual = TrainctlProcess.Run(Timeout, "local", WriteSpec(), "--workers", "2", "--threads-per-worker", "1", "--json", "--out", drilled,
                "--fault", "2:drop-ring@3");

            Assert.True(expected.ExitCode == 0, expected.Stderr);
            Assert.True(actual.ExitCode == 0, actual.Stderr);
            Assert.Contains("min_workers = 1, max_workers = 2", actual.Stderr, StringComparison.Ordinal);
            Assert.Matches(@"worker w-\d+ \(rank \d\) missed [^\n]*step 3", actual.Stderr);
            using var expectedSummary = JsonDocument.Parse(expected.Stdout);
            using var actualSummary = JsonDocument.Parse(actual.Stdout);
            foreach (string field in new[] { "test_accuracy", "test_loss", "steps" })
            {
                Assert.Equal(expectedSummary.RootElement.GetProperty(field).GetRawText(), actualSummary.RootElement.GetProperty(field).GetRawText());
            }
            Assert.Empty(Remaining(ReadPids(drilled)));
        }
        finally
        {
            KillRemaining(undisturbed);
            KillRemaining(drilled);
        }
    }

    [Fact]
    public void Local_WorkerKilledMidStepAndCoordinatorRestarted_JobFinishesBitwiseAsTrain()
    {
        string single = Path.Combine(_directory, "single");
        string drilled = Path.Combine(_directory, "drilled");
        try
        {
            // 30 epochs of 13 steps: the coordinator drill after step 60 lands long before the end, even when the
            // watch that triggers it lags behind the job on a loaded machine.
            string spec = WriteSpec(epochs: 30);
            var expected = TrainctlProcess.Run(Timeout, "train", spec, "--json", "--out", single);
            var actual = TrainctlProcess.Run(Timeout, "local", spec, "--workers", "3", "--threads-per-worker", "1", "--json", "--out", drilled,
                "--fault", "2:exit@30", "--fault", "coordinator:restart@60");

            Assert.True(expected.ExitCode == 0, expected.Stderr);
            Assert.True(actual.ExitCode == 0, actual.Stderr);
            Assert.Contains("min_workers = 2, max_workers = 3", actual.Stderr, StringComparison.Ordinal);
            // w-2 dies in step 30, which it may start while the coordinator still reads step 29's answers (the next
            // step's header goes out ahead); the kill loses an answer not yet read, and the coordinator then re-runs
            // step 29 without w-2. Either way the parameters come out bitwise the same (below).
            Assert.Matches(@"worker w-2 \(rank \d\) (is gone|missed)[^\n]*step (29|30)", actual.Stderr);
            Assert.Contains("killing this worker in step 30", File.ReadAllText(Path.Combine(drilled, "logs", "worker-2.log")), StringComparison.Ordinal);
            Assert.Contains("fault drill: killing the coordinator", actual.Stderr, StringComparison.Ordinal);
            Assert.Matches(@"Resumed at step \d+", actual.Stderr);
            using var expectedSummary = JsonDocument.Parse(expected.Stdout);
            using var actualSummary = JsonDocument.Parse(actual.Stdout);
            Assert.Equal(390, actualSummary.RootElement.GetProperty("steps").GetInt32());
            Assert.Equal(
                File.ReadAllBytes(Path.Combine(expectedSummary.RootElement.GetProperty("checkpoint").GetString()!, "model.safetensors")),
                File.ReadAllBytes(Path.Combine(actualSummary.RootElement.GetProperty("checkpoint").GetString()!, "model.safetensors")));
            var pids = ReadPids(drilled);
            Assert.Equal(["coordinator", "coordinator-restart-1", "worker-1", "worker-2", "worker-3"], pids.Keys.Order(StringComparer.Ordinal));
            Assert.Empty(Remaining(pids));
        }
        finally
        {
            KillRemaining(drilled);
        }
    }

    [Fact]
    public void Local_TinyRecurrentJobOnTwoWorkers_GivesBitwiseTheParametersOfTrain()
    {
        string single = Path.Combine(_directory, "single");
        string pair = Path.Combine(_directory, "pair");
        try
        {
            AssertTwoWorkersBitwiseAsTrain(WriteRecurrentSpec(), single, pair);
            Assert.Empty(Remaining(ReadPids(pair)));
        }
        finally
        {
            KillRemaining(pair);
        }
    }

    [Fact]
    public void Local_TwoWorkersOnConvolutionalJob_IsBitwiseAsTrain()
    {
        string single = Path.Combine(_directory, "single");
        string cluster = Path.Combine(_directory, "cluster");
        try
        {
            AssertTwoWorkersBitwiseAsTrain(WriteConvolutionalSpec(), single, cluster);
        }
        finally
        {
            KillRemaining(cluster);
        }
    }

    [Fact]
    public void Local_TwoWorkersOnTextJob_IsBitwiseAsTrain()
    {
        string single = Path.Combine(_directory, "single");
        string cluster = Path.Combine(_directory, "cluster");
        try
        {
            AssertTwoWorkersBitwiseAsTrain(WriteTextSpec(_directory), single, cluster);
        }
        finally
        {
            KillRemaining(cluster);
        }
    }

    /// <summary>Runs <paramref name="spec"/> with <c>train</c> and with <c>local --workers 2</c>; both succeed with the same model bytes.</summary>
    private static void AssertTwoWorkersBitwiseAsTrain(string spec, string single, string cluster)
    {
        var expected = TrainctlProcess.Run(Timeout, "train", spec, "--json", "--out", single);
        var actual = TrainctlProcess.Run(Timeout, "local", spec, "--workers", "2", "--threads-per-worker", "1", "--json", "--out", cluster);

        Assert.True(expected.ExitCode == 0, expected.Stderr);
        Assert.True(actual.ExitCode == 0, actual.Stderr);
        using var expectedSummary = JsonDocument.Parse(expected.Stdout);
        using var actualSummary = JsonDocument.Parse(actual.Stdout);
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(expectedSummary.RootElement.GetProperty("checkpoint").GetString()!, "model.safetensors")),
            File.ReadAllBytes(Path.Combine(actualSummary.RootElement.GetProperty("checkpoint").GetString()!, "model.safetensors")));
    }

    [Fact]
    public void Local_InvalidSpec_ExitsWith2AndNamesTheField()
    {
        var result = TrainctlProcess.Run(Timeout, "local", WriteSpec(units: -4), "--workers", "2", "--out", Path.Combine(_directory, "out"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("model.layers[0].dense.units", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, "out", "pids")), "no process may be started for a bad spec");
    }

    [Fact]
    public void Local_TwoWorkersWithJson_PrintsSummaryWritesOutputsAndLeavesNoProcess()
    {
        string output = Path.Combine(_directory, "out");
        try
        {
            var result = TrainctlProcess.Run(Timeout, "local", WriteSpec(), "--workers", "2", "--threads-per-worker", "1", "--json", "--out", output);

            Assert.True(result.ExitCode == 0, result.Stderr);
            using var summary = JsonDocument.Parse(result.Stdout);
            Assert.True(summary.RootElement.GetProperty("test_accuracy").GetDouble() > 0.9, result.Stdout);
            Assert.Equal(2, summary.RootElement.GetProperty("epochs").GetInt32());
            Assert.True(summary.RootElement.GetProperty("train_samples_per_second").GetDouble() > 0, result.Stdout);
            Assert.Equal(output, summary.RootElement.GetProperty("output_directory").GetString());
            Assert.True(Directory.Exists(summary.RootElement.GetProperty("checkpoint").GetString()), result.Stdout);
            Assert.Contains("min_workers = max_workers = 2", result.Stderr, StringComparison.Ordinal);
            // The dashboard's address is printed next to the coordinator's.
            Assert.Matches(@"local cluster: coordinator http://127\.0\.0\.1:\d+ \(dashboard http://127\.0\.0\.1:\d+\)", result.Stderr);
            var metrics = File.ReadAllLines(Path.Combine(output, "metrics.csv"));
            Assert.Equal(3, metrics.Length);
            Assert.Equal("svg", XDocument.Load(Path.Combine(output, "curves.svg")).Root!.Name.LocalName);
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(output, "tensorboard"), "*", SearchOption.AllDirectories));
            Assert.NotEmpty(Directory.GetDirectories(Path.Combine(output, "checkpoints"), "step-*"));
            Assert.True(File.Exists(Path.Combine(output, "logs", "worker-2.log")));
            // The workers shared the job's micro-shards on a board there, and deleted it with the job.
            Assert.Empty(Directory.GetFiles(Path.Combine(output, "shard-board")));
            var pids = ReadPids(output);
            Assert.Equal(["coordinator", "worker-1", "worker-2"], pids.Keys.Order(StringComparer.Ordinal));
            Assert.Empty(Remaining(pids));
            // The workers stop before the coordinator, so each tells it that it is leaving instead of finding it gone.
            foreach (string worker in new[] { "worker-1", "worker-2" })
            {
                string log = File.ReadAllText(Path.Combine(output, "logs", worker + ".log"));
                Assert.Contains("this worker is leaving; it holds no job", log, StringComparison.Ordinal);
                Assert.DoesNotContain("could not tell", log, StringComparison.Ordinal);
                // On Linux the ring's links pass their pieces through /dev/shm.
                Assert.Equal(LocalCluster.DefaultRingSharedMemory is not null, log.Contains("Ring links offer shared-memory inboxes in /dev/shm", StringComparison.Ordinal));
            }

            // Every process wrote its spans into OUT/telemetry, and one step reads back as one tree across them.
            string telemetry = Path.Combine(output, "telemetry");
            Assert.Single(Directory.GetFiles(telemetry, "coordinator-*.traces.jsonl"));
            Assert.Equal(2, Directory.GetFiles(telemetry, "worker-*.traces.jsonl").Length);
            string jobId = System.Text.RegularExpressions.Regex.Match(result.Stderr, @"submitted (j-[0-9a-f]+)").Groups[1].Value;
            var trace = TrainctlProcess.Run(Timeout, "trace", jobId, "--step", "2", "--dir", telemetry);
            Assert.True(trace.ExitCode == 0, trace.Stderr);
            Assert.Contains("train.step", trace.Stdout, StringComparison.Ordinal);
            Assert.Contains("worker.compute", trace.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            KillRemaining(output);
        }
    }

    [Fact]
    public async Task Local_SigtermWhileTraining_StopsEveryChildAndExitsWith3()
    {
        string output = Path.Combine(_directory, "out");
        var (trainctl, stderr) = await StartTrainingAsync(output);
        try
        {
            var pids = ReadPids(output);
            Assert.Equal(3, pids.Count);

            await SignalAsync(trainctl, "-TERM");

            using (var deadline = new CancellationTokenSource(Timeout))
            {
                await trainctl.WaitForExitAsync(deadline.Token);
            }
            Assert.True(trainctl.ExitCode == 3, $"exit code {trainctl.ExitCode}: {stderr}");
            Assert.Empty(Remaining(pids));
        }
        finally
        {
            Stop(trainctl);
            KillRemaining(output);
        }
    }

    [Fact]
    public async Task Local_TrainctlKilled_ChildrenDieWithIt()
    {
        string output = Path.Combine(_directory, "out");
        var (trainctl, _) = await StartTrainingAsync(output);
        try
        {
            var pids = ReadPids(output);

            // SIGKILL: trainctl runs no cleanup; the parent-death signal set by setpriv must end the children.
            await SignalAsync(trainctl, "-KILL");
            await trainctl.WaitForExitAsync();

            // The kernel delivers the signal when trainctl's thread ends, and the new parent reaps: wait for both.
            using var deadline = new CancellationTokenSource(Timeout);
            while (Remaining(pids, countZombies: false).Count > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
            }
            Assert.Empty(Remaining(pids, countZombies: false));
        }
        finally
        {
            Stop(trainctl);
            KillRemaining(output);
        }
    }

    /// <summary>Starts `trainctl local` on a long job and returns once it has submitted it (all children are up).</summary>
    private async Task<(Process Trainctl, StringBuilder Stderr)> StartTrainingAsync(string output)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "trainctl.dll"), "local", WriteSpec(epochs: 10_000), "--workers", "2", "--threads-per-worker", "1", "--json", "--out", output })
        {
            start.ArgumentList.Add(argument);
        }
        var trainctl = Process.Start(start)!;
        var stderr = new StringBuilder();
        var submitted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        trainctl.ErrorDataReceived += (_, line) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(line.Data);
            }
            if (line.Data?.StartsWith("submitted ", StringComparison.Ordinal) == true)
            {
                submitted.TrySetResult();
            }
        };
        trainctl.BeginErrorReadLine();
        _ = trainctl.StandardOutput.ReadToEndAsync();
        try
        {
            await Task.WhenAny(submitted.Task, trainctl.WaitForExitAsync()).WaitAsync(Timeout);
            Assert.True(submitted.Task.IsCompleted, $"trainctl exited before it submitted: {stderr}");
            return (trainctl, stderr);
        }
        catch
        {
            Stop(trainctl);
            KillRemaining(output);
            throw;
        }
    }

    private static async Task SignalAsync(Process process, string signal)
    {
        using var kill = Process.Start("kill", [signal, process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    private static void Stop(Process trainctl)
    {
        if (!trainctl.HasExited)
        {
            trainctl.Kill(entireProcessTree: true);
            trainctl.WaitForExit();
        }
        trainctl.Dispose();
    }

    /// <summary>The "NAME PID" lines trainctl writes to OUT/pids.</summary>
    private static Dictionary<string, int> ReadPids(string output) => File.ReadAllLines(Path.Combine(output, "pids"))
        .Select(line => line.Split(' '))
        .ToDictionary(parts => parts[0], parts => int.Parse(parts[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);

    /// <summary>
    /// The children still present: running with the Coordinator or Worker assembly on their command line (a reused pid
    /// runs something else), or zombies nobody reaped (with <paramref name="countZombies"/>).
    /// </summary>
    private static List<string> Remaining(Dictionary<string, int> pids, bool countZombies = true)
    {
        var remaining = new List<string>();
        foreach (var (name, pid) in pids)
        {
            string stat;
            string commandLine;
            try
            {
                stat = File.ReadAllText($"/proc/{pid}/stat");
                commandLine = File.ReadAllText($"/proc/{pid}/cmdline");
            }
            catch (Exception gone) when (gone is FileNotFoundException or DirectoryNotFoundException or IOException)
            {
                continue;
            }
            // stat: "pid (comm) S ...", the state after the last ')'.
            char state = stat[(stat.LastIndexOf(')') + 2)..][0];
            if ((countZombies && state == 'Z') || commandLine.Contains("Coordinator.dll", StringComparison.Ordinal) || commandLine.Contains("Worker.dll", StringComparison.Ordinal))
            {
                remaining.Add($"{name} (pid {pid}, state {state})");
            }
        }
        return remaining;
    }

    /// <summary>Kills whatever trainctl left behind, so a failing test leaves no process either.</summary>
    private static void KillRemaining(string output)
    {
        if (!File.Exists(Path.Combine(output, "pids")))
        {
            return;
        }
        var pids = ReadPids(output);
        foreach (var leftover in pids.Where(pair => Remaining(new() { [pair.Key] = pair.Value }).Count > 0))
        {
            try
            {
                using var process = Process.GetProcessById(leftover.Value);
                process.Kill();
            }
            catch (Exception gone) when (gone is ArgumentException or InvalidOperationException)
            {
                // Exited in the meantime.
            }
        }
    }

    /// <summary>
    /// The CSV problem read as 2 steps of 2 features by a stacked bidirectional LSTM and a GRU over its sequence,
    /// in micro-shards of 4 so that both workers compute every step.
    /// </summary>
    private string WriteRecurrentSpec()
    {
        string path = TestJobs.WriteSpecFile(_directory, epochs: 2);
        File.WriteAllText(path, """
            name: csv-recurrent
            dataset: { format: CSV, train_path: train.csv, test_path: test.csv, has_header: true, normalization: NONE }
            model:
              layers:
                - lstm: { input_size: 2, hidden_size: 4, num_layers: 2, bidirectional: true, output: SEQUENCE }
                - gru: { input_size: 8, hidden_size: 3, output: MEAN }
                - dense: { units: 2 }
            loss: { kind: SOFTMAX_CROSS_ENTROPY }
            optimizer: { kind: ADAM, learning_rate: 0.01 }
            batch_size: 16
            micro_shard_size: 4
            epochs: 2
            seed: 3
            """);
        return path;
    }

    /// <summary>
    /// A small character model (embedding, GRU over the window, per-step dense) over a few repeated English lines, in
    /// micro-shards of 4 so that both workers compute every step; also used by the sample command's tests.
    /// </summary>
    internal static string WriteTextSpec(string directory)
    {
        File.WriteAllText(Path.Combine(directory, "corpus.txt"),
            string.Concat(Enumerable.Repeat("the cat sat on the mat. the dog sat on the log.\n", 12)));
        string path = Path.Combine(directory, "text.yaml");
        File.WriteAllText(path, """
            name: text-job
            dataset: { format: TEXT, train_path: corpus.txt, window: 12, window_stride: 5, test_fraction: 0.2 }
            model:
              layers:
                - embedding: { vocabulary_size: 15, dimensions: 4 }
                - gru: { input_size: 4, hidden_size: 8, output: SEQUENCE }
                - dense: { units: 15, step_features: 8 }
            loss: { kind: SOFTMAX_CROSS_ENTROPY }
            optimizer: { kind: ADAM, learning_rate: 0.01 }
            batch_size: 16
            micro_shard_size: 4
            epochs: 2
            seed: 3
            """);
        return path;
    }

    /// <summary>
    /// A CSV problem of 1x6x6 images (class 1: a bright vertical bar, class 0: a horizontal one, plus noise) and a
    /// small convolutional spec over it: reshape, conv, ReLU, max pool, conv, avg pool, flatten, dense.
    /// </summary>
    private string WriteConvolutionalSpec()
    {
        var random = new Random(9);
        foreach (var (file, rows) in new[] { ("images.csv", 96), ("images-test.csv", 32) })
        {
            var csv = new StringBuilder("label" + string.Concat(Enumerable.Range(0, 36).Select(i => $",p{i}")) + "\n");
            for (int i = 0; i < rows; i++)
            {
                int label = i % 2, at = random.Next(6);
                csv.Append(label.ToString(CultureInfo.InvariantCulture));
                for (int pixel = 0; pixel < 36; pixel++)
                {
                    bool bar = label == 1 ? pixel % 6 == at : pixel / 6 == at;
                    csv.Append(',').Append(((bar ? 1 : 0) + (random.NextDouble() * 0.3)).ToString("F3", CultureInfo.InvariantCulture));
                }
                csv.Append('\n');
            }
            File.WriteAllText(Path.Combine(_directory, file), csv.ToString());
        }
        string path = Path.Combine(_directory, "conv.yaml");
        File.WriteAllText(path, """
            name: conv-job
            dataset: { format: CSV, train_path: images.csv, test_path: images-test.csv, has_header: true, normalization: NONE }
            model:
              layers:
                - reshape: { channels: 1, height: 6, width: 6 }
                - conv2d: { out_channels: 4, kernel: 3, padding: 1 }
                - activation: { kind: RELU }
                - max_pool2d: { kernel: 2 }
                - conv2d: { out_channels: 4, kernel: 2 }
                - avg_pool2d: { kernel: 2 }
                - flatten: {}
                - dense: { units: 2 }
            loss: { kind: SOFTMAX_CROSS_ENTROPY }
            optimizer: { kind: ADAM, learning_rate: 0.01 }
            batch_size: 16
            micro_shard_size: 4
            epochs: 2
            seed: 3
            """);
        return path;
    }

    /// <summary>A CSV problem (label, 4 features) the MLP separates easily, and a spec over it.</summary>
    private string WriteSpec(int units = 8, int epochs = 2) => TestJobs.WriteSpecFile(_directory, epochs, units);
}
