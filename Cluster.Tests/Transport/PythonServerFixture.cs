using System.Diagnostics;
using DistributedTrainer.Transport;
using Grpc.Net.Client;
using Xunit;
using EchoRpc = DistributedTrainer.Tests.Rpc.Echo.Echo;

namespace DistributedTrainer.Tests.Transport;

/// <summary>
/// Starts the grpcio Echo server script on a free 127.0.0.1 port and a generated Echo client on a
/// <see cref="GrpcChannels"/> channel to it; stops it on dispose, and the script also exits when its standard input
/// closes, so it never outlives the test process.
/// </summary>
public sealed class PythonServerFixture : IAsyncLifetime, IAsyncDisposable
{
    private string? _directory;
    private Process? _process;
    private GrpcChannel? _channel;

    internal EchoRpc.EchoClient Client => _channel is null ? throw new InvalidOperationException("The Python server did not start") : new(_channel);

    public async Task InitializeAsync()
    {
        if (!PythonGrpc.IsAvailable)
        {
            return;
        }
        _directory = Directory.CreateTempSubdirectory("grpc-py-server-").FullName;
        _process = Process.Start(PythonGrpc.StartInfo("echo_server.py", PythonGrpc.WriteDescriptorSet(_directory)))!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? line = await _process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null || !line.StartsWith("PORT ", StringComparison.Ordinal))
        {
            string errors = await _process.StandardError.ReadToEndAsync(timeout.Token);
            await DisposeAsync();
            throw new InvalidOperationException($"echo_server.py did not report its port (got '{line}'): {errors}");
        }
        _channel = GrpcChannels.Create(new Uri($"http://127.0.0.1:{line["PORT ".Length..]}"));
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            _process.Dispose();
            _process = null;
        }
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
            _directory = null;
        }
    }
}
