using System.Diagnostics;
using System.Globalization;
using DistributedTrainer.Checkpoints;
using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Transport;
using Grpc.Core;
using Grpc.Net.Client;
using JobsRpc = DistributedTrainer.Protos.V1.Jobs;

namespace DistributedTrainer.Bench.Soak;

/// <summary>One sample of the coordinator process: which incarnation, how long after its start, and its resources.</summary>
internal sealed record CoordinatorSample(int Incarnation, TimeSpan SinceStart, int Descriptors, int Threads, double RssMiB);

/// <summary>
/// The soak's cluster: a coordinator on a fixed port and <see cref="Count"/> workers, each advertised through its own
/// <see cref="FaultyProxy"/>; injects one fault at a time, runs what each fault schedules (restarts, SIGCONT, the end of
/// a delay), and samples the coordinator every 2 s.
/// </summary>
internal sealed class SoakCluster(string directory, string dataRoot, string logs) : IAsyncDisposable
{
    public const int Count = 3;
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(2);

    private readonly int _coordinatorPort = SoakBenchmark.FreePort();
    private readonly WorkerSlot[] _workers = [.. Enumerable.Range(0, Count).Select(i => new WorkerSlot($"w{i + 1}", SoakBenchmark.FreePort()))];
    private readonly List<(TimeSpan At, Func<Task> Action)> _scheduled = [];
    private readonly List<CoordinatorSample> _samples = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private SoakProcess? _coordinator;
    private Stopwatch _coordinatorAge = new();
    private int _incarnation;
    private TimeSpan _nextSample;
    private GrpcChannel? _channel;

    private Uri CoordinatorAddress => new($"http://127.0.0.1:{_coordinatorPort}");

    private string StateDirectory => Path.Combine(directory, "state");

    public IReadOnlyList<CoordinatorSample> Samples => _samples;

    public async Task StartAsync()
    {
        await StartCoordinatorAsync();
        foreach (var worker in _workers)
        {
            worker.Proxy = new FaultyProxy(worker.Port);
            await StartWorkerAsync(worker);
        }
        _channel = GrpcChannels.Create(CoordinatorAddress);
    }

    /// <summary>Submits every spec (retrying while the coordinator restarts); returns the job ids with their spec index.</summary>
    public async Task<List<(string JobId, int Spec)>> SubmitAllAsync(IReadOnlyList<string> specs)
    {
        var submitted = new List<(string, int)>();
        for (int i = 0; i < specs.Count; i++)
        {
            var spec = JobSpecLoader.LoadFile(specs[i]);
            var waited = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    var response = await Jobs().SubmitJobAsync(new SubmitJobRequest { Spec = spec }, deadline: DateTime.UtcNow.AddSeconds(10));
                    submitted.Add((response.JobId, i));
                    break;
                }
                catch (RpcException) when (waited.Elapsed < StartLimit)
                {
                    await TickAsync();
                    await Task.Delay(500);
                }
            }
        }
        return submitted;
    }

    /// <summary>The jobs of <paramref name="pending"/> not yet in an end state (or not answerable now).</summary>
    public async Task<List<(string JobId, int Spec)>> UnfinishedAsync(List<(string JobId, int Spec)> pending)
    {
        var left = new List<(string, int)>();
        foreach (var job in pending)
        {
            var state = (await GetAsync(job.JobId))?.State;
            if (state is not (JobState.Succeeded or JobState.Failed or JobState.Cancelled))
            {
                left.Add(job);
            }
        }
        return left;
    }

    public async Task<Job?> GetAsync(string jobId)
    {
        try
        {
            return await Jobs().GetJobAsync(new GetJobRequest { JobId = jobId }, deadline: DateTime.UtcNow.AddSeconds(10));
        }
        catch (RpcException)
        {
            return null;
        }
    }

    /// <summary>The model.safetensors of the job's newest checkpoint.</summary>
    public byte[] FinalModel(string jobId) =>
        File.ReadAllBytes(Path.Combine(new CheckpointStore(Path.Combine(StateDirectory, "jobs", jobId, "checkpoints")).List()[0], CheckpointStore.ModelFile));

    /// <summary>
    /// Injects one fault drawn from <paramref name="random"/>; returns its name. Without <paramref name="coordinatorFaults"/>
    /// only workers and connections fail, so one coordinator lives long enough to show a trend in its resources.
    /// </summary>
    public async Task<string> InjectAsync(Random random, bool coordinatorFaults)
    {
        var up = _workers.Where(worker => worker.State == WorkerState.Up).ToList();
        if (up.Count == 0 && !coordinatorFaults)
        {
            return "none (every worker is down or faulty already)";
        }
        int kind = up.Count == 0 ? random.Next(2) : coordinatorFaults ? random.Next(13) : random.Next(2, 13);
        if (kind < 2)
        {
            return kind == 0 ? await KillCoordinatorAsync(random) : await TerminateCoordinatorAsync();
        }
        var worker = up[random.Next(up.Count)];
        switch (kind)
        {
            case < 5:
                worker.Process!.Signal("KILL");
                worker.Process.WaitForExit(StopLimit);
                worker.Process.Dispose();
                worker.State = WorkerState.Down;
                Schedule(TimeSpan.FromSeconds(1 + random.NextDouble() * 3), () => StartWorkerAsync(worker));
                return "worker SIGKILL";
            case < 7:
                worker.Process!.Signal("TERM");
                worker.State = WorkerState.Leaving;
                return "worker SIGTERM";
            case < 9:
                worker.Process!.Signal("STOP");
                worker.State = WorkerState.Paused;
                Schedule(TimeSpan.FromSeconds(2 + random.NextDouble() * 4), () =>
                {
                    worker.Process.Signal("CONT");
                    worker.State = WorkerState.Up;
                    return Task.CompletedTask;
                });
                return "worker SIGSTOP";
            case < 11:
                worker.Proxy!.Delay = TimeSpan.FromMilliseconds(random.Next(20, 201));
                worker.State = WorkerState.Delayed;
                Schedule(TimeSpan.FromSeconds(3 + random.NextDouble() * 5), () =>
                {
                    worker.Proxy.Delay = TimeSpan.Zero;
                    worker.State = WorkerState.Up;
                    return Task.CompletedTask;
                });
                return "connections delayed";
            default:
                worker.Proxy!.CutAll();
                return "connections cut";
        }
    }

    /// <summary>Runs what is due: scheduled actions, restarts of workers that left, a sample of the coordinator.</summary>
    public async Task TickAsync()
    {
        var due = _scheduled.Where(entry => entry.At <= _clock.Elapsed).ToList();
        foreach (var entry in due)
        {
            _scheduled.Remove(entry);
            await entry.Action();
        }
        foreach (var worker in _workers.Where(worker => worker.State == WorkerState.Leaving && worker.Process!.HasExited))
        {
            worker.Process!.Dispose();
            await StartWorkerAsync(worker);
        }
        if (_clock.Elapsed >= _nextSample && _coordinator?.Sample() is { } sample)
        {
            _samples.Add(new CoordinatorSample(_incarnation, _coordinatorAge.Elapsed, sample.Descriptors, sample.Threads, sample.RssMiB));
            _nextSample = _clock.Elapsed + SampleEvery;
        }
    }

    /// <summary>Ends every fault now: scheduled actions run, leaving workers are waited for and restarted.</summary>
    public async Task HealAsync()
    {
        foreach (var entry in _scheduled.ToList())
        {
            _scheduled.Remove(entry);
            await entry.Action();
        }
        foreach (var worker in _workers.Where(worker => worker.State == WorkerState.Leaving))
        {
            if (!worker.Process!.WaitForExit(StopLimit))
            {
                worker.Process.Signal("KILL");
            }
            worker.Process.Dispose();
            await StartWorkerAsync(worker);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        _channel = null;
        foreach (var worker in _workers)
        {
            worker.Process?.Dispose();
            worker.Process = null;
            if (worker.Proxy is not null)
            {
                await worker.Proxy.DisposeAsync();
                worker.Proxy = null;
            }
        }
        _coordinator?.Dispose();
        _coordinator = null;
    }

    private JobsRpc.JobsClient Jobs() => new(_channel!);

    private void Schedule(TimeSpan after, Func<Task> action) => _scheduled.Add((_clock.Elapsed + after, action));

    private async Task<string> KillCoordinatorAsync(Random random)
    {
        _coordinator!.Signal("KILL");
        _coordinator.WaitForExit(StopLimit);
        _coordinator.Dispose();
        await Task.Delay(TimeSpan.FromSeconds(0.5 + random.NextDouble() * 1.5));
        await StartCoordinatorAsync();
        return "coordinator SIGKILL + restart";
    }

    private async Task<string> TerminateCoordinatorAsync()
    {
        _coordinator!.Signal("TERM");
        if (!_coordinator.WaitForExit(StopLimit))
        {
            Console.WriteLine($"  the coordinator (pid {_coordinator.Id}) did not exit within {StopLimit.TotalSeconds} s of SIGTERM: killed");
        }
        _coordinator.Dispose();
        await StartCoordinatorAsync();
        return "coordinator SIGTERM + restart";
    }

    private async Task StartCoordinatorAsync()
    {
        _incarnation++;
        _coordinator = SoakProcess.Start("Coordinator.dll",
            ["--port", _coordinatorPort.ToString(CultureInfo.InvariantCulture), "--state-dir", StateDirectory, "--data-root", dataRoot],
            Path.Combine(logs, "coordinator.log"));
        _coordinatorAge = Stopwatch.StartNew();
        if (!await _coordinator.WaitListeningAsync(StartLimit))
        {
            throw new InvalidOperationException($"the coordinator did not start within {StartLimit.TotalSeconds} s; see {logs}/coordinator.log");
        }
    }

    private async Task StartWorkerAsync(WorkerSlot worker)
    {
        worker.Process = SoakProcess.Start("Worker.dll",
            ["--coordinator", CoordinatorAddress.ToString(), "--port", worker.Port.ToString(CultureInfo.InvariantCulture),
             "--advertise", $"http://127.0.0.1:{worker.Proxy!.Port}", "--threads", "1", "--name", worker.Name, "--data-root", dataRoot],
            Path.Combine(logs, $"{worker.Name}.log"));
        if (!await worker.Process.WaitListeningAsync(StartLimit))
        {
            throw new InvalidOperationException($"worker {worker.Name} did not start within {StartLimit.TotalSeconds} s; see {logs}/{worker.Name}.log");
        }
        worker.State = WorkerState.Up;
    }

    private enum WorkerState
    {
        Up,
        Down,
        Leaving,
        Paused,
        Delayed,
    }

    private sealed class WorkerSlot(string name, int port)
    {
        public string Name => name;

        public int Port => port;

        public FaultyProxy? Proxy { get; set; }

        public SoakProcess? Process { get; set; }

        public WorkerState State { get; set; }
    }
}
