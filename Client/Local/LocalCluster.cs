using DistributedTrainer.Reports;
using DistributedTrainer.Telemetry;

namespace DistributedTrainer.Client.Local;

/// <summary>
/// The processes of `trainctl local`: one coordinator (state under <c>OUT/state</c>) and N workers registered with it,
/// all on free loopback ports, logging to <c>OUT/logs/NAME.log</c>, their pids listed in <c>OUT/pids</c> ("NAME PID" lines).
/// The workers start beside the coordinator and read its address from <c>OUT/coordinator.url</c>, written once it
/// listens (<c>Worker --coordinator-file</c>): their start-up overlaps the coordinator's instead of following it.
/// Disposing kills and reaps every one of them; so does the end of trainctl (ProcessExit) and, on Linux, its death
/// (see <see cref="ChildProcess"/>).
/// </summary>
internal sealed class LocalCluster : IDisposable
{
    public const string PidsFile = "pids";
    public const string CoordinatorAddressFile = "coordinator.url";
    public const string LogsDirectory = "logs";
    public const string StateDirectoryName = "state";
    public const string ShardBoardDirectory = "shard-board";

    /// <summary>
    /// Where the workers' ring links keep their shared-memory inboxes (<c>Worker --ring-shared-memory</c>) by default: this
    /// machine's tmpfs, when it has one (Linux); null elsewhere, and the links stay on loopback TCP.
    /// </summary>
    public static string? DefaultRingSharedMemory => OperatingSystem.IsLinux() && Directory.Exists("/dev/shm") ? "/dev/shm" : null;

    private readonly List<ChildProcess> _children = [];
    // Children whose exit is part of a drill (a worker's exit@STEP, a coordinator killed to be restarted).
    private readonly HashSet<ChildProcess> _expectedExits = [];
    private readonly TaskCompletionSource<ChildProcess> _unexpectedExit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Set at Dispose: releases the threads that started restarted coordinators (see RestartCoordinator).
    private readonly ManualResetEventSlim _released = new();
    private readonly string _pidsPath;
    private readonly string _coordinatorAddressPath;
    private readonly EventHandler _onProcessExit;
    private bool _stopped;
    private bool _disposed;

    private readonly ClusterExecutables _executables;
    private readonly string _logs;
    private readonly Dictionary<string, string> _environment;
    // --data-root DIR pairs of every process: where the job's data is (see LocalDataRoots).
    private readonly string[] _dataRootArguments;
    private int _coordinatorRestarts;

    private LocalCluster(ClusterExecutables executables, string outputDirectory, IReadOnlyList<string> dataRoots)
    {
        _executables = executables;
        _dataRootArguments = [.. LocalDataRoots.Arguments(dataRoots)];
        StateDirectory = Path.Combine(outputDirectory, StateDirectoryName);
        _pidsPath = Path.Combine(outputDirectory, PidsFile);
        _coordinatorAddressPath = Path.GetFullPath(Path.Combine(outputDirectory, CoordinatorAddressFile));
        _logs = Path.Combine(outputDirectory, LogsDirectory);
        // Every process writes its spans and metrics into one directory, for `trainctl trace --dir OUT/telemetry`.
        _environment = new Dictionary<string, string>
        {
            [TrainerTelemetry.DirectoryVariable] = Environment.GetEnvironmentVariable(TrainerTelemetry.DirectoryVariable)
                ?? Path.GetFullPath(Path.Combine(outputDirectory, TelemetryDirectory)),
        };
        _onProcessExit = (_, _) => Stop();
        AppDomain.CurrentDomain.ProcessExit += _onProcessExit;
    }

    /// <summary>Where every process of the cluster writes its trace and metric files, under the output directory.</summary>
    public const string TelemetryDirectory = "telemetry";

    // How long a child may take to stop after SIGTERM before it is killed.
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    /// <summary>The coordinator's address, from its "listening on" line; a restarted coordinator keeps it.</summary>
    public Uri CoordinatorAddress { get; private set; } = null!;

    /// <summary>The coordinator's state directory (its job directories are under <c>jobs/</c>).</summary>
    public string StateDirectory { get; }

    /// <summary>Every process started, coordinator first.</summary>
    public IReadOnlyList<ChildProcess> Children => _children;

    /// <summary>
    /// Starts the coordinator and, beside it, <paramref name="workers"/> workers with <paramref name="threadsPerWorker"/>
    /// threads each, tells the workers the coordinator's address once it has printed it, and blocks until each has
    /// printed its address, allowing each <paramref name="startupDeadline"/>. Call it on a
    /// thread that outlives the cluster (the main thread), for the parent-death signal.
    /// </summary>
    /// <exception cref="ChildProcessException">A process exited or stayed silent; every process started is stopped.</exception>
    /// <param name="faults">The workers' drills (their exits are expected); the coordinator's is run by <see cref="RestartCoordinator"/>.</param>
    /// <param name="dataRoots">The only directories the coordinator and the workers may read job data from.</param>
    /// <param name="devices">What each worker computes on; a worker without one takes its default (cpu).</param>
    /// <param name="workerCpus">The CPU list each worker is confined to (<see cref="WorkerCpus"/>), worker K's at K - 1; null: none.</param>
    /// <param name="shareShards">Whether the workers share their micro-shards on a board in <c>OUT/shard-board</c>
    /// (<c>Worker --shard-board</c>): one done with its own takes over those another has not started.</param>
    /// <param name="ringSharedMemory">The tmpfs directory the workers' ring links move their pieces through
    /// (<c>Worker --ring-shared-memory</c>); null: loopback TCP.</param>
    public static LocalCluster Start(ClusterExecutables executables, int workers, int threadsPerWorker, string outputDirectory, TimeSpan startupDeadline,
        LocalFaults faults, IReadOnlyList<string> dataRoots, LocalDevices devices, IReadOnlyList<string>? workerCpus = null, bool shareShards = true,
        string? ringSharedMemory = null)
    {
        string[] ringInboxes = ringSharedMemory is null ? [] : ["--ring-shared-memory", ringSharedMemory];
        var cluster = new LocalCluster(executables, outputDirectory, dataRoots);
        string[] shardBoard = shareShards
            ? ["--shard-board", Directory.CreateDirectory(Path.Combine(outputDirectory, ShardBoardDirectory)).FullName]
            : [];
        try
        {
            // A file left by an earlier run in this directory would send the workers to a coordinator that is gone.
            File.Delete(cluster._coordinatorAddressPath);
            cluster.Coordinator = cluster.StartCoordinator("coordinator", port: 0);
            var started = new List<ChildProcess>();
            for (int i = 1; i <= workers; i++)
            {
                string name = $"worker-{i}";
                IEnumerable<string> workerFaults = faults.Workers.GetValueOrDefault(i)?.SelectMany(fault => new[] { "--fault", fault }) ?? [];
                string[] device = devices.Of(i) is { } chosen ? ["--device", chosen.ToString()] : [];
                string[] cpus = workerCpus is null ? [] : ["--cpus", workerCpus[i - 1]];
                started.Add(cluster.Add(ChildProcess.Start(name, executables.Worker,
                    ["--coordinator-file", cluster._coordinatorAddressPath, "--name", WorkerName(i), "--port", "0", "--threads", threadsPerWorker.ToString(System.Globalization.CultureInfo.InvariantCulture), .. workerFaults, .. device, .. cpus, .. shardBoard, .. ringInboxes, .. cluster._dataRootArguments],
                    Path.Combine(cluster._logs, name + ".log"), cluster._environment), expectExit: faults.ExitingWorkers.Contains(i)));
            }
            cluster.CoordinatorAddress = cluster.Coordinator.WaitForAddress(startupDeadline);
            AtomicFile.WriteAllText(cluster._coordinatorAddressPath, cluster.CoordinatorAddress.ToString().TrimEnd('/') + "\n");
            foreach (var worker in started)
            {
                worker.WaitForAddress(startupDeadline);
            }
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>The coordinator now running (a new one after <see cref="RestartCoordinator"/>).</summary>
    public ChildProcess Coordinator { get; private set; } = null!;

    /// <summary>
    /// Completes with the first child that exits other than by a drill (none should before <see cref="Dispose"/>),
    /// children started later included.
    /// </summary>
    public Task<ChildProcess> UnexpectedExit => _unexpectedExit.Task;

    /// <summary>
    /// The coordinator drill: kills the coordinator (SIGKILL: no checkpoint or state is flushed) and starts a new one on
    /// the same port and state directory, then blocks until it listens; it resumes the running job from its checkpoint
    /// once the workers have registered again.
    /// </summary>
    /// <exception cref="ChildProcessException">The new coordinator exited or stayed silent.</exception>
    public void RestartCoordinator(TimeSpan startupDeadline)
    {
        var old = Coordinator;
        lock (_children)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            _expectedExits.Add(old);
        }
        old.Stop();
        string name = $"coordinator-restart-{++_coordinatorRestarts}";
        // The parent-death signal follows the forking thread: start the new coordinator from a thread that lives until
        // the cluster is disposed, not from a pool thread that may retire first.
        var started = new TaskCompletionSource<ChildProcess>(TaskCreationOptions.RunContinuationsAsynchronously);
        var spawner = new Thread(() =>
        {
            try
            {
                started.SetResult(StartCoordinator(name, CoordinatorAddress.Port));
            }
            catch (Exception failure)
            {
                started.SetException(failure);
                return;
            }
            _released.Wait();
        })
        { IsBackground = true, Name = name };
        spawner.Start();
        Coordinator = started.Task.GetAwaiter().GetResult();
        Coordinator.WaitForAddress(startupDeadline);
    }

    /// <summary>Kills and reaps every child, workers first.</summary>
    public void Dispose()
    {
        Stop();
        lock (_children)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        AppDomain.CurrentDomain.ProcessExit -= _onProcessExit;
        foreach (var child in _children)
        {
            child.Dispose();
        }
        _released.Set();
    }

    private void Stop()
    {
        lock (_children)
        {
            if (_stopped)
            {
                return;
            }
            _stopped = true;
            // The workers first, all at once, and the coordinator once they are gone: a stopping worker tells the
            // coordinator it is leaving, which fails (and says so in its log) when the coordinator is stopping too.
            // Each gets a few seconds to flush its files before it is killed. (A coordinator a drill replaced is among
            // the others, already exited.)
            var workers = _children.Where(child => child != Coordinator).ToList();
            foreach (var worker in workers)
            {
                worker.RequestStop();
            }
            foreach (var worker in workers)
            {
                worker.Stop(StopGrace);
            }
            Coordinator?.RequestStop();
            Coordinator?.Stop(StopGrace);
        }
    }

    /// <summary>
    /// The name worker <paramref name="number"/> registers under: its number in `--fault K:...` and in its log file's name
    /// (worker-K.log) is the one in the job's events (w-K).
    /// </summary>
    public static string WorkerName(int number) => $"w-{number.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    private ChildProcess StartCoordinator(string name, int port) => Add(ChildProcess.Start(name, _executables.Coordinator,
        ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--state-dir", StateDirectory, "--dashboard-port", "0", .. _dataRootArguments],
        Path.Combine(_logs, name + ".log"), _environment));

    private ChildProcess Add(ChildProcess child, bool expectExit = false)
    {
        lock (_children)
        {
            _children.Add(child);
            if (expectExit)
            {
                _expectedExits.Add(child);
            }
            AtomicFile.WriteAllText(_pidsPath, string.Concat(_children.Select(c => $"{c.Name} {c.Id}\n")));
        }
        child.Exited.ContinueWith(_ =>
        {
            lock (_children)
            {
                if (!_stopped && !_expectedExits.Contains(child))
                {
                    _unexpectedExit.TrySetResult(child);
                }
            }
        }, TaskScheduler.Default);
        return child;
    }
}
