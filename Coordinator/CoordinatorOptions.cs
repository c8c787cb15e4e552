using System.Globalization;
using System.Net;
using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Coordinator.Services;
using DistributedTrainer.Transport;

namespace DistributedTrainer.Coordinator;

/// <summary>How a coordinator is started.</summary>
/// <param name="StateDirectory">Where job state, checkpoints and reports live.</param>
/// <param name="Port">TCP port; 0 picks a free one.</param>
/// <param name="Host">Address to bind (default 127.0.0.1).</param>
/// <param name="Token">
/// The token of both the Jobs API and the cluster services, for one-secret setups; <see cref="ClientToken"/> and
/// <see cref="ClusterToken"/> default to it. Null: no authentication.
/// </param>
/// <param name="TlsCertificate">PEM certificate file; with <paramref name="TlsKey"/>, serve TLS instead of h2c.</param>
/// <param name="TlsKey">PEM private key file.</param>
/// <param name="HeartbeatIntervalMs">How often workers heartbeat, in milliseconds; one silent for three intervals is dropped.</param>
/// <param name="Silo">How the job grains' silo finds its cluster.</param>
internal sealed record CoordinatorOptions(string StateDirectory, int Port = 0, IPAddress? Host = null, string? Token = null,
    string? TlsCertificate = null, string? TlsKey = null, int HeartbeatIntervalMs = CoordinatorOptions.DefaultHeartbeatIntervalMs,
    SiloHosting Silo = SiloHosting.Localhost)
{
    /// <summary>Sets both tokens (<c>--token</c>), kept for setups from before the tokens were separate.</summary>
    public const string TokenVariable = "DT_COORDINATOR_TOKEN";

    /// <summary>The Jobs API's token (<c>--client-token</c>).</summary>
    public const string ClientTokenVariable = "DT_CLIENT_TOKEN";

    /// <summary>The cluster services' token (<c>--cluster-token</c>): worker registration, WorkerControl, Collective.</summary>
    public const string ClusterTokenVariable = "DT_CLUSTER_TOKEN";

    /// <summary>Where data is read from when no <c>--data-root</c> is given: the system's data sets (Debian's dataset-* packages).</summary>
    public const string SystemDatasets = "/usr/share/datasets";

    /// <summary>Also read by default: the licence texts every Debian machine ships, the corpus of the TEXT examples.</summary>
    public const string SystemTexts = "/usr/share/common-licenses";

    /// <summary>The bearer token of trainer.v1.Jobs (and reflection); null: the Jobs API is open. Default: <see cref="Token"/>.</summary>
    public string? ClientToken { get; init; } = Token;

    /// <summary>The bearer token of trainer.v1.Cluster, which workers present and require in turn; null: open. Default: <see cref="Token"/>.</summary>
    public string? ClusterToken { get; init; } = Token;

    /// <summary>
    /// The directories a spec's data and transfer checkpoint may be read from (<c>--data-root</c>); null: the state
    /// directory's <c>data/</c>, <see cref="SystemDatasets"/> and <see cref="SystemTexts"/> (see <see cref="EffectiveDataRoots"/>).
    /// </summary>
    public IReadOnlyList<string>? DataRoots { get; init; }

    /// <summary>What one caller (token, or address without one) may hold: queued jobs, watches, spec bytes.</summary>
    public CallerLimits Limits { get; init; } = CallerLimits.Default;

    /// <summary>
    /// The port of the web dashboard (<c>--dashboard-port</c>): HTTP/1.1 on the same address as the gRPC port (browsers
    /// cannot speak h2c), with TLS when the coordinator has a certificate; 0 picks a free one; null: no dashboard.
    /// </summary>
    public int? DashboardPort { get; init; }

    /// <summary>
    /// Where this coordinator's processes write their span files (<c>*.traces.jsonl</c>), which the dashboard's step
    /// waterfall reads; null: the state directory's <c>telemetry/</c>.
    /// </summary>
    public string? TelemetryDirectory { get; init; }

    /// <summary>The span directory in force: <see cref="TelemetryDirectory"/>, or the state directory's <c>telemetry/</c>.</summary>
    public string EffectiveTelemetryDirectory() => TelemetryDirectory ?? Path.Combine(StateDirectory, "telemetry");

    /// <summary>The data roots in force: <see cref="DataRoots"/>, or the defaults.</summary>
    public IReadOnlyList<string> EffectiveDataRoots() => DataRoots ?? [Path.Combine(StateDirectory, "data"), SystemDatasets, SystemTexts];

    /// <summary>Default worker heartbeat interval: 2 s, so a silent worker is dropped after 6 s.</summary>
    public const int DefaultHeartbeatIntervalMs = 2000;

    /// <summary>
    /// Parses <c>--port P --state-dir DIR [--host A] [--token T] [--client-token T] [--cluster-token T] [--data-root DIR]...
    /// [--tls-cert F --tls-key F] [--orleans-hosting localhost|kubernetes] [--max-queued-jobs N] [--max-watches N]
    /// [--max-spec-bytes N] [--dashboard-port P]</c>. A token flag wins over its variable; <c>--client-token</c> and <c>--cluster-token</c>
    /// (or their variables) win over <c>--token</c> (or DT_COORDINATOR_TOKEN).
    /// </summary>
    /// <exception cref="ArgumentException">A flag is unknown, lacks its value or has a bad one.</exception>
    public static CoordinatorOptions Parse(IReadOnlyList<string> args, string? environmentToken, string? environmentClientToken = null,
        string? environmentClusterToken = null)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var dataRoots = new List<string>();
        string[] known = ["--port", "--state-dir", "--host", "--token", "--client-token", "--cluster-token", "--data-root", "--tls-cert",
            "--tls-key", "--orleans-hosting", "--max-queued-jobs", "--max-watches", "--max-spec-bytes", "--dashboard-port"];
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
            if (args[i] == "--data-root")
            {
                string root = args[++i];
                dataRoots.Add(root.Length > 0 ? root : throw new ArgumentException("Invalid --data-root: empty"));
                continue;
            }
            values[args[i]] = args[++i];
        }
        if (!values.TryGetValue("--state-dir", out var stateDirectory) || stateDirectory.Length == 0)
        {
            throw new ArgumentException("Invalid arguments: --state-dir DIR is required");
        }
        int port = ListenFlags.Port(values);
        IPAddress? host = ListenFlags.Host(values);
        values.TryGetValue("--tls-cert", out var certificate);
        values.TryGetValue("--tls-key", out var key);
        if ((certificate is null) != (key is null))
        {
            throw new ArgumentException("Invalid arguments: --tls-cert and --tls-key go together");
        }
        string? token = NonEmpty(values.GetValueOrDefault("--token") ?? environmentToken);
        string? clientToken = NonEmpty(values.GetValueOrDefault("--client-token") ?? environmentClientToken) ?? token;
        string? clusterToken = NonEmpty(values.GetValueOrDefault("--cluster-token") ?? environmentClusterToken) ?? token;
        if (clientToken is not null && clientToken == clusterToken && token is null)
        {
            // Two names for one secret would let any client act as a worker, which is what separate tokens prevent.
            throw new ArgumentException("Invalid arguments: --client-token and --cluster-token must differ (use --token for one shared secret)");
        }
        var silo = values.GetValueOrDefault("--orleans-hosting", "localhost") switch
        {
            "localhost" => SiloHosting.Localhost,
            "kubernetes" => SiloHosting.Kubernetes,
            var other => throw new ArgumentException($"Invalid --orleans-hosting: '{other}' (must be localhost or kubernetes)"),
        };
        var limits = new CallerLimits
        {
            MaxQueuedJobs = PositiveInt(values, "--max-queued-jobs", CallerLimits.Default.MaxQueuedJobs),
            MaxWatches = PositiveInt(values, "--max-watches", CallerLimits.Default.MaxWatches),
            MaxSpecBytes = PositiveInt(values, "--max-spec-bytes", CallerLimits.Default.MaxSpecBytes),
        };
        return new CoordinatorOptions(stateDirectory, port, host, token, certificate, key, Silo: silo)
        {
            ClientToken = clientToken,
            ClusterToken = clusterToken,
            DataRoots = dataRoots.Count > 0 ? dataRoots : null,
            Limits = limits,
            DashboardPort = values.TryGetValue("--dashboard-port", out var dashboardPort) ? DashboardPortOf(dashboardPort) : null,
        };
    }

    private static int DashboardPortOf(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= 65535
            ? port
            : throw new ArgumentException($"Invalid --dashboard-port: '{text}' (must be 0 to 65535; 0 picks a free port)");

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static int PositiveInt(Dictionary<string, string> values, string flag, int fallback)
    {
        if (!values.TryGetValue(flag, out var text))
        {
            return fallback;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : throw new ArgumentException($"Invalid {flag}: '{text}' (must be a positive integer)");
    }
}
