using DistributedTrainer.Reports;
using DistributedTrainer.Telemetry;

namespace DistributedTrainer.Client.Local;

/// <summary>
/// The processes of `trainctl local`: one coordinator (state under <c>OUT/state</c>) and N workers registered with it,
/// all on free loopback ports, logging to <c>OUT/logs/NAME.log</c>, their pids listed in <c>OUT/pids</c> ("NAME PID" lines).
/// Disposing kills and reaps every one of them; so does the end of trainctl (ProcessExit) and, on Linux, its death
/// (see <see cref="ChildProcess"/>).
/// </summary>
internal sealed class LocalCluster : IDisposable
{
    public const string PidsFile = "pids";
    public const string LogsDirectory = "logs";
    public const string StateDirectoryName = "state";

    private readonly List<ChildProcess> _children = [];
    private readonly string _pidsPath;
    private readonly EventHandler _onProcessExit;
    private bool _stopped;
    private bool _disposed;

    private LocalCluster(string outputDirectory)
    {
        StateDirectory = Path.Combine(outputDirectory, StateDirectoryName);
        _pidsPath = Path.Combine(outputDirectory, PidsFile);
        _onProcessExit = (_, _) => Stop();
        AppDomain.CurrentDomain.ProcessExit += _onProcessExit;
    }

    /// <summary>Where every process of the cluster writes its trace and metric files, under the output directory.</summary>
    public const string TelemetryDirectory = "telemetry";

    // How long a child may take to stop after SIGTERM before it is killed.
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    /// <summary>The coordinator's address, from its "listening on" line.</summary>
    public Uri CoordinatorAddress { get; private set; } = null!;

    /// <summary>The coordinator's state directory (its job directories are under <c>jobs/</c>).</summary>
    public string StateDirectory { get; }

    /// <summary>Every process started, coordinator first.</summary>
    public IReadOnlyList<ChildProcess> Children => _children;

    /// <summary>
    /// Starts the coordinator, then <paramref name="workers"/> workers with <paramref name="threadsPerWorker"/> threads each,
    /// and blocks until each has printed its address, allowing each <paramref name="startupDeadline"/>. Call it on a
    /// thread that outlives the cluster (the main thread), for the parent-death signal.
    /// </summary>
    /// <exception cref="ChildProcessException">A process exited or stayed silent; every process started is stopped.</exception>
    /// <param name="faults">Each worker's --fault values, by worker number from 1 (fault drills); null: none.</param>
    public static LocalCluster Start(ClusterExecutables executables, int workers, int threadsPerWorker, string outputDirectory, TimeSpan startupDeadline,
        IReadOnlyDictionary<int, IReadOnlyList<string>>? faults = null)
    {
        var cluster = new LocalCluster(outputDirectory);
        try
        {
            string logs = Path.Combine(outputDirectory, LogsDirectory);
            // Every process writes its spans and metrics into one directory, for `trainctl trace --dir OUT/telemetry`.
            var environment = new Dictionary<string, string>
            {
                [TrainerTelemetry.DirectoryVariable] = Environment.GetEnvironmentVariable(TrainerTelemetry.DirectoryVariable)
                    ?? Path.GetFullPath(Path.Combine(outputDirectory, TelemetryDirectory)),
            };
            var coordinator = cluster.Add(ChildProcess.Start("coordinator", executables.Coordinator,
                ["--port", "0", "--state-dir", cluster.StateDirectory], Path.Combine(logs, "coordinator.log"), environment));
            cluster.CoordinatorAddress = coordinator.WaitForAddress(startupDeadline);
            string coordinatorUrl = cluster.CoordinatorAddress.ToString().TrimEnd('/');
            var started = new List<ChildProcess>();
            for (int i = 1; i <= workers; i++)
            {
                string name = $"worker-{i}";
                IEnumerable<string> workerFaults = faults?.GetValueOrDefault(i)?.SelectMany(fault => new[] { "--fault", fault }) ?? [];
                started.Add(cluster.Add(ChildProcess.Start(name, executables.Worker,
                    ["--coordinator", coordinatorUrl, "--port", "0", "--threads", threadsPerWorker.ToString(System.Globalization.CultureInfo.InvariantCulture), .. workerFaults],
                    Path.Combine(logs, name + ".log"), environment)));
            }
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

    /// <summary>Completes with the first child that exits (none should before <see cref="Dispose"/>).</summary>
    public Task<ChildProcess> FirstExitAsync() =>
        Task.WhenAny(_children.Select(async child =>
        {
            await child.Exited.ConfigureAwait(false);
            return child;
        })).Unwrap();

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
            // Workers first: a worker whose coordinator vanished would log connection errors while it waits to be stopped.
            // All are asked at once, then each gets a few seconds to flush its files before it is killed.
            for (int i = _children.Count - 1; i >= 0; i--)
            {
                _children[i].RequestStop();
            }
            for (int i = _children.Count - 1; i >= 0; i--)
            {
                _children[i].Stop(StopGrace);
            }
        }
    }

    private ChildProcess Add(ChildProcess child)
    {
        lock (_children)
        {
            _children.Add(child);
            AtomicFile.WriteAllText(_pidsPath, string.Concat(_children.Select(c => $"{c.Name} {c.Id}\n")));
        }
        return child;
    }
}
