using System.Net;
using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Transport;

namespace DistributedTrainer.Coordinator;

/// <summary>How a coordinator is started.</summary>
/// <param name="StateDirectory">Where job state, checkpoints and reports live.</param>
/// <param name="Port">TCP port; 0 picks a free one.</param>
/// <param name="Host">Address to bind (default 127.0.0.1).</param>
/// <param name="Token">Bearer token every call but health must carry; null: no authentication.</param>
/// <param name="TlsCertificate">PEM certificate file; with <paramref name="TlsKey"/>, serve TLS instead of h2c.</param>
/// <param name="TlsKey">PEM private key file.</param>
/// <param name="HeartbeatIntervalMs">How often workers heartbeat, in milliseconds; one silent for three intervals is dropped.</param>
/// <param name="Silo">How the job grains' silo finds its cluster.</param>
internal sealed record CoordinatorOptions(string StateDirectory, int Port = 0, IPAddress? Host = null, string? Token = null,
    string? TlsCertificate = null, string? TlsKey = null, int HeartbeatIntervalMs = CoordinatorOptions.DefaultHeartbeatIntervalMs,
    SiloHosting Silo = SiloHosting.Localhost)
{
    public const string TokenVariable = "DT_COORDINATOR_TOKEN";

    /// <summary>Default worker heartbeat interval: 2 s, so a silent worker is dropped after 6 s.</summary>
    public const int DefaultHeartbeatIntervalMs = 2000;

    /// <summary>
    /// Parses <c>--port P --state-dir DIR [--host A] [--token T] [--tls-cert F --tls-key F] [--orleans-hosting localhost|kubernetes]</c>;
    /// the token may come from DT_COORDINATOR_TOKEN.
    /// </summary>
    /// <exception cref="ArgumentException">A flag is unknown, lacks its value or has a bad one.</exception>
    public static CoordinatorOptions Parse(IReadOnlyList<string> args, string? environmentToken)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        string[] known = ["--port", "--state-dir", "--host", "--token", "--tls-cert", "--tls-key", "--orleans-hosting"];
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
        string? token = values.GetValueOrDefault("--token") ?? environmentToken;
        var silo = values.GetValueOrDefault("--orleans-hosting", "localhost") switch
        {
            "localhost" => SiloHosting.Localhost,
            "kubernetes" => SiloHosting.Kubernetes,
            var other => throw new ArgumentException($"Invalid --orleans-hosting: '{other}' (must be localhost or kubernetes)"),
        };
        return new CoordinatorOptions(stateDirectory, port, host, string.IsNullOrEmpty(token) ? null : token, certificate, key, Silo: silo);
    }
}
