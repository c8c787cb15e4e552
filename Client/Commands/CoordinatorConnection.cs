using System.CommandLine;
using DistributedTrainer.Transport;
using Grpc.Core;
using Grpc.Net.Client;
// DistributedTrainer.Jobs (the spec loader) is a namespace; the service is Protos.V1.Jobs.
using JobsRpc = DistributedTrainer.Protos.V1.Jobs;
using SweepsRpc = DistributedTrainer.Protos.V1.Sweeps;

namespace DistributedTrainer.Client.Commands;

/// <summary>
/// The flags every cluster command shares (<c>--coordinator</c>, <c>--token</c>, <c>--json</c>), the channel they
/// open with its generated trainer.v1.Jobs and trainer.v1.Sweeps clients, and the one place that turns a call's status into an exit code
/// and a message.
/// </summary>
internal sealed class CoordinatorConnection : IDisposable
{
    public const string CoordinatorVariable = "DT_COORDINATOR";
    public const string TokenVariable = "DT_TOKEN";
    public const string DefaultAddress = "http://127.0.0.1:5000";

    private readonly string? _token;

    private readonly GrpcChannel _channel;

    private CoordinatorConnection(Uri address, string? token)
    {
        _channel = GrpcChannels.Create(address);
        _token = token;
        Jobs = new JobsRpc.JobsClient(_channel);
        Sweeps = new SweepsRpc.SweepsClient(_channel);
    }

    /// <summary>The coordinator's trainer.v1.Jobs.</summary>
    public JobsRpc.JobsClient Jobs { get; }

    /// <summary>The coordinator's trainer.v1.Sweeps.</summary>
    public SweepsRpc.SweepsClient Sweeps { get; }

    /// <summary>Options of one call: the bearer token, and the cancellation of the command.</summary>
    public CallOptions Call(CancellationToken cancellation) => new(headers: BearerToken.Headers(_token), cancellationToken: cancellation);

    /// <summary>A connection without credentials to <paramref name="address"/> (a coordinator this trainctl started).</summary>
    public static CoordinatorConnection Open(Uri address) => new(address, token: null);

    public void Dispose() => _channel.Dispose();

    /// <summary>The shared flags of the cluster commands.</summary>
    internal sealed class Flags
    {
        public Option<string?> Coordinator { get; } = new("--coordinator")
        {
            Description = $"Coordinator address (default: ${CoordinatorVariable}, else {DefaultAddress}).",
        };

        public Option<string?> Token { get; } = new("--token") { Description = $"Bearer token (default: ${TokenVariable})." };

        public Option<bool> Json { get; } = new("--json") { Description = "Print JSON on stdout; progress goes to stderr." };

        public void AddTo(Command command)
        {
            command.Options.Add(Coordinator);
            command.Options.Add(Token);
            command.Options.Add(Json);
        }

        /// <summary>Connects with the parsed flags, runs <paramref name="work"/> and maps its failures to exit codes.</summary>
        public async Task<int> RunAsync(ParseResult parsed, Func<CoordinatorConnection, bool, Task<int>> work)
        {
            string address = parsed.GetValue(Coordinator) ?? Environment.GetEnvironmentVariable(CoordinatorVariable) ?? DefaultAddress;
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                Console.Error.WriteLine($"trainctl: invalid --coordinator: '{address}' (must be an http:// or https:// URL)");
                return ExitCodes.InvalidInput;
            }
            string? token = parsed.GetValue(Token) ?? Environment.GetEnvironmentVariable(TokenVariable);
            using var connection = new CoordinatorConnection(uri, string.IsNullOrEmpty(token) ? null : token);
            try
            {
                return await work(connection, parsed.GetValue(Json));
            }
            catch (RpcException failure)
            {
                return Report(failure, uri);
            }
        }
    }

    /// <summary>Prints what went wrong with a call to <paramref name="coordinator"/> and returns the exit code for it.</summary>
    public static int Report(RpcException failure, Uri coordinator)
    {
        switch (failure.StatusCode)
        {
            case StatusCode.InvalidArgument:
                Console.Error.WriteLine(failure.Status.Detail);
                return ExitCodes.InvalidInput;
            case StatusCode.NotFound:
                Console.Error.WriteLine($"trainctl: {failure.Status.Detail}");
                return ExitCodes.InvalidInput;
            case StatusCode.Unavailable or StatusCode.DeadlineExceeded:
            case StatusCode.Internal when GrpcFailures.IsTlsFailure(failure):
                Console.Error.WriteLine($"trainctl: coordinator {coordinator} unreachable: {failure.Status.Detail}");
                return ExitCodes.Unreachable;
            case StatusCode.Unauthenticated:
                Console.Error.WriteLine($"trainctl: coordinator {coordinator} refused the credentials: {failure.Status.Detail} (set --token or ${TokenVariable})");
                return ExitCodes.Unreachable;
            default:
                Console.Error.WriteLine($"trainctl: {failure.StatusCode}: {failure.Status.Detail}");
                return ExitCodes.Failure;
        }
    }
}
