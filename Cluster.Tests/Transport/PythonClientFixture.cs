using System.Text.Json;
using Xunit;

namespace DistributedTrainer.Tests.Transport;

/// <summary>Runs the grpcio client script once against a grpc-dotnet Echo server (with health and reflection) and keeps its results, one per case.</summary>
public sealed class PythonClientFixture : IAsyncLifetime
{
    private JsonDocument? _results;

    public async Task InitializeAsync()
    {
        if (!PythonGrpc.IsAvailable)
        {
            return;
        }
        string directory = Directory.CreateTempSubdirectory("grpc-py-client-").FullName;
        try
        {
            await using EchoServer server = await EchoServer.StartAsync();
            _results = await PythonGrpc.RunJsonAsync("echo_client.py", $"127.0.0.1:{server.Address.Port}", PythonGrpc.WriteDescriptorSet(directory));
        }
        finally
        {
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
