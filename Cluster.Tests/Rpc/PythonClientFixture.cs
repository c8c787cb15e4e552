using System.Diagnostics;
using System.Text.Json;
using DistributedTrainer.Rpc;
using Xunit;

namespace DistributedTrainer.Tests.Rpc;

/// <summary>Runs the grpcio client script once against a C# Echo + health server and keeps its results, one per case.</summary>
public sealed class PythonClientFixture : IAsyncLifetime
{
    private JsonDocument? _results;

    public async Task InitializeAsync()
    {
        if (!PythonGrpc.IsAvailable)
        {
            return;
        }

        string directory = Directory.CreateTempSubdirectory("rpc-py-client-").FullName;
        var router = new GrpcRouter();
        router.AddService(new EchoService().Definition).AddService(new HealthService().Definition);
        GrpcHost host = await GrpcHost.StartAsync(router);
        Process? process = null;
        try
        {
            process = Process.Start(PythonGrpc.StartInfo("echo_client.py", $"127.0.0.1:{host.Port}", PythonGrpc.WriteDescriptorSet(directory)))!;
            process.StandardInput.Close();
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> errors = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"echo_client.py exited with {process.ExitCode}: {await errors}");
            }

            _results = JsonDocument.Parse(await output);
        }
        finally
        {
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
            }

            process?.Dispose();
            await host.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    public Task DisposeAsync()
    {
        _results?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>The result of one case of the script.</summary>
    public JsonElement Case(string name) =>
        (_results ?? throw new InvalidOperationException("The Python client did not run")).RootElement.GetProperty(name);
}
