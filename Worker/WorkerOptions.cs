using DistributedTrainer.Transport;
using System.Globalization;
using System.Net;
using DistributedTrainer.Numerics;
using DistributedTrainer.Training;
using DistributedTrainer.Worker.Faults;

namespace DistributedTrainer.Worker;

/// <summary>How a worker is started.</summary>
/// <param name="Coordinator">
/// The coordinator to register with; null serves without registering (tests that drive the worker directly) unless
/// <see cref="CoordinatorFile"/> names where its address will appear.
/// </param>
/// <param name="Port">TCP port; 0 picks a free one.</param>
/// <param name="Host">Address to bind (default 127.0.0.1).</param>
/// <param name="Advertise">The address the coordinator and ring peers reach this worker at; default the bound address.</param>
/// <param name="Threads">Kernel threads the worker computes with; 0: <see cref="Numerics.ComputeThreads.Count"/>.</param>
/// <param name="Name">Stable name to register under (e.g. the pod name); null lets the coordinator assign "w-N".</param>
/// <param name="Token">
/// The cluster token: sent to the coordinator's Cluster service and to ring peers, required on WorkerControl and
/// Collective calls; null: none.
/// </param>
internal sealed record WorkerOptions(Uri? Coordinator, int Port = 0, IPAddress? Host = null, Uri? Advertise = null,
    int Threads = 0, string? Name = null, string? Token = null)
{
    /// <summary>The cluster token's variable (<c>--cluster-token</c>).</summary>
    public const string TokenVariable = "DT_CLUSTER_TOKEN";

    /// <summary>The variable read when <see cref="TokenVariable"/> is unset, from before the tokens were separate.</summary>
    public const string LegacyTokenVariable = "DT_COORDINATOR_TOKEN";

    /// <summary>
    /// The directories the jobs' data may be read from (<c>--data-root</c>, repeatable); null (the default): wherever
    /// the coordinator's specs say, since the coordinator confines them to its own data roots before they get here.
    /// </summary>
    public IReadOnlyList<string>? DataRoots { get; init; }

    /// <summary>
    /// What computes the gradients (<c>--device cpu|cuda[:N]|cpu-accelerator</c>): the SIMD kernels (<c>cpu</c>, the
    /// default), a CUDA GPU, or ILGPU's CPU accelerator running the GPU kernels on threads (tests).
    /// </summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Cpu;

    /// <summary>
    /// A file that will hold the coordinator's URL (<c>--coordinator-file PATH</c>, instead of <c>--coordinator</c>): the
    /// worker starts serving, then waits up to <see cref="CoordinatorFileTimeout"/> for the file before it registers.
    /// `trainctl local` starts its workers beside the coordinator this way, since the coordinator's port is known only
    /// once it listens, and writes the file when it does.
    /// </summary>
    public string? CoordinatorFile { get; init; }

    /// <summary>Longest wait for <see cref="CoordinatorFile"/> to appear (default 120 s).</summary>
    public TimeSpan CoordinatorFileTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Longest wait between attempts to reach a coordinator that does not answer (default 10 s).</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The CPUs every thread of the worker is confined to (<c>--cpus LIST</c>, e.g. <c>0-1</c>; Linux only), so that workers
    /// sharing a machine keep cores of their own; null (the default): wherever the scheduler puts them. Without
    /// <c>--threads</c>, the worker computes with one kernel thread per CPU given.
    /// </summary>
    public IReadOnlyList<int>? Cpus { get; init; }

    /// <summary>
    /// A directory the workers on this machine share (<c>--shard-board DIR</c>, e.g. on <c>/dev/shm</c>): each job's workers
    /// there publish their micro-shards on a board in it, and one done with its own step takes over the shards another has
    /// not started (the result does not change); null (the default): every worker computes its own shards.
    /// </summary>
    public string? ShardBoardDirectory { get; init; }

    /// <summary>
    /// A tmpfs directory the workers on this machine share (<c>--ring-shared-memory DIR</c>, e.g. <c>/dev/shm</c>; Linux
    /// only): a ring link between two of them moves its pieces through a shared-memory inbox there instead of loopback TCP
    /// (the gRPC stream stays open beside it); null (the default): every link carries its pieces on its gRPC stream.
    /// </summary>
    public string? RingSharedMemoryDirectory { get; init; }

    /// <summary>Faults injected into the worker's ring traffic (<c>--fault</c>, for drills and tests); none by default.</summary>
    public WorkerFaults Faults { get; init; } = WorkerFaults.None;

    /// <summary>
    /// Parses <c>--coordinator URL|--coordinator-file PATH [--port P] [--host A] [--advertise URL] [--threads T] [--name N] [--cluster-token T]
    /// [--data-root DIR]... [--fault F]... [--device D] [--cpus LIST] [--shard-board DIR] [--ring-shared-memory DIR]</c>; <c>--token</c> is another name of <c>--cluster-token</c>, and the token
    /// may come from <paramref name="environmentToken"/> (DT_CLUSTER_TOKEN, else DT_COORDINATOR_TOKEN).
    /// <c>--fault</c> may repeat (see <see cref="WorkerFaults"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A flag is unknown, lacks its value or has a bad one.</exception>
    public static WorkerOptions Parse(IReadOnlyList<string> args, string? environmentToken)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var faults = WorkerFaults.None;
        var dataRoots = new List<string>();
        string[] known = ["--coordinator", "--coordinator-file", "--port", "--host", "--advertise", "--threads", "--name", "--token", "--cluster-token", "--data-root", "--fault", "--device", "--cpus", "--shard-board", "--ring-shared-memory"];
        for (int i = 0; i < args.Count; i++)
        {
            if (!known.Contains(args[i], StringComparer.Ordinal))
            {
                throw new ArgumentException($"Invalid argument: '{args[i]}' (expected one of {string.Join(", ", known)})");
            }
            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"Invalid argument: {args[i]} needs a value");
            }
            if (args[i] == "--fault")
            {
                faults = faults.With(args[++i]);
                continue;
            }
            if (args[i] == "--data-root")
            {
                string root = args[++i];
                dataRoots.Add(root.Length > 0 ? root : throw new ArgumentException("Invalid --data-root: empty"));
                continue;
            }
            values[args[i]] = args[++i];
        }
        string? coordinatorFile = values.GetValueOrDefault("--coordinator-file");
        if (values.TryGetValue("--coordinator", out var coordinatorText) == (coordinatorFile is not null))
        {
            throw new ArgumentException("Invalid arguments: one of --coordinator URL and --coordinator-file PATH is required");
        }
        if (coordinatorFile is { Length: 0 })
        {
            throw new ArgumentException("Invalid --coordinator-file: empty");
        }
        Uri? coordinator = coordinatorText is null ? null : ParseHttpUri("--coordinator", coordinatorText);
        int port = ListenFlags.Port(values);
        IPAddress? host = ListenFlags.Host(values);
        Uri? advertise = values.TryGetValue("--advertise", out var advertiseText) ? ParseHttpUri("--advertise", advertiseText) : null;
        if (advertise is null && host is not null && (host.Equals(IPAddress.Any) || host.Equals(IPAddress.IPv6Any)))
        {
            // Peers cannot dial a wildcard address: the worker must say where it is reachable.
            throw new ArgumentException($"Invalid arguments: --advertise URL is required with --host {host} (peers cannot reach a wildcard address)");
        }
        int threads = 0;
        if (values.TryGetValue("--threads", out var threadsText)
            && (!int.TryParse(threadsText, NumberStyles.None, CultureInfo.InvariantCulture, out threads) || threads < 1 || threads > 1024))
        {
            throw new ArgumentException($"Invalid --threads: '{threadsText}' (must be an integer in [1, 1024])");
        }
        string? name = values.GetValueOrDefault("--name");
        if (name is not null && (name.Length == 0 || name.Length > 253 || name.Any(char.IsWhiteSpace)))
        {
            throw new ArgumentException($"Invalid --name: '{name}' (must be 1 to 253 characters without spaces)");
        }
        var device = values.TryGetValue("--device", out var deviceText) ? ComputeDevice.Parse(deviceText) : ComputeDevice.Cpu;
        var cpus = values.TryGetValue("--cpus", out var cpusText) ? ParseCpus(cpusText) : null;
        string? token = values.GetValueOrDefault("--cluster-token") ?? values.GetValueOrDefault("--token") ?? environmentToken;
        string? shardBoard = ExistingDirectory(values, "--shard-board");
        string? ringSharedMemory = ExistingDirectory(values, "--ring-shared-memory");
        return new WorkerOptions(coordinator, port, host, advertise, threads, name, string.IsNullOrEmpty(token) ? null : token)
        {
            Faults = faults,
            Device = device,
            DataRoots = dataRoots.Count > 0 ? dataRoots : null,
            CoordinatorFile = coordinatorFile,
            Cpus = cpus,
            ShardBoardDirectory = shardBoard,
            RingSharedMemoryDirectory = ringSharedMemory,
        };
    }

    // The directory a flag names, checked here so that a missing one stops the worker before it serves; null without the flag.
    private static string? ExistingDirectory(Dictionary<string, string> values, string flag)
    {
        string? directory = values.GetValueOrDefault(flag);
        return directory is null || Directory.Exists(directory) ? directory
            : throw new ArgumentException($"Invalid {flag}: '{directory}' (no such directory)");
    }

    // A CPU list this process may be confined to, checked here so that a bad one stops the worker before it serves.
    private static IReadOnlyList<int> ParseCpus(string text)
    {
        if (!CpuAffinity.IsSupported)
        {
            throw new ArgumentException("Invalid --cpus: confining a worker to CPUs needs Linux");
        }
        IReadOnlyList<int> cpus;
        try
        {
            cpus = CpuAffinity.Parse(text);
        }
        catch (FormatException invalid)
        {
            throw new ArgumentException($"Invalid --cpus: '{text}' ({invalid.Message})");
        }
        if (CpuAffinity.Refusal(cpus) is { } refusal)
        {
            throw new ArgumentException($"Invalid --cpus: '{text}' ({refusal})");
        }
        return cpus;
    }

    /// <summary>An http:// or https:// URL; else an error naming <paramref name="flag"/>.</summary>
    internal static Uri ParseHttpUri(string flag, string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"Invalid {flag}: '{text}' (must be an http:// or https:// URL, e.g. http://10.0.0.7:6000)");
        }
        return uri;
    }
}
