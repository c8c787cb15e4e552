using System.Diagnostics;
using DistributedTrainer.Rpc;
using Xunit;

namespace DistributedTrainer.Tests.Rpc;

/// <summary>
/// Starts the grpcio Echo server script on a free 127.0.0.1 port and a channel to it; stops it on dispose, and
/// the script also exits when its standard input closes, so it never outlives the test process.
/// </summary>
public sealed class PythonServerFixture : IAsyncLifetime, IAsyncDisposable
{
    private string? _directory;
    private Process? _process;
    private RpcChannel? _channel;

    public RpcChannel Channel => _channel ?? throw new InvalidOperationException("The Python server did not start");

    public async Task InitializeAsync()
    {
        if (!PythonGrpc.IsAvailable)
        {
            return;
        }

        _directory = Directory.CreateTempSubdirectory("rpc-py-server-").FullName;
        _process = Process.Start(PythonGrpc.StartInfo("echo_server.py", PythonGrpc.WriteDescriptorSet(_directory)))!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? line = await _process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null || !line.StartsWith("PORT ", StringComparison.Ordinal))
        {
            string errors = await _process.StandardError.ReadToEndAsync(timeout.Token);
            await DisposeAsync();
            throw new InvalidOperationException($"echo_server.py did not report its port (got '{line}'): {errors}");
        }

        _channel = new RpcChannel(new Uri($"http://127.0.0.1:{line["PORT ".Length..]}"));
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
