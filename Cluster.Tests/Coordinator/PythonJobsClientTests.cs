using System.Diagnostics;
using System.Text.Json;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Transport;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Health.V1;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>Runs the grpcio Jobs client once against an in-process coordinator and keeps its results, one per case.</summary>
public sealed class PythonJobsClientFixture : IAsyncLifetime
{
    private JsonDocument? _results;

    public JsonElement Case(string name) => _results!.RootElement.GetProperty(name);

    public async Task InitializeAsync()
    {
        if (!PythonGrpc.IsAvailable)
        {
            return;
        }
        await using var coordinator = await TestCoordinator.StartAsync();
        string specPath = Path.Combine(coordinator.Directory, "spec.json");
        await File.WriteAllTextAsync(specPath, JsonFormatter.Default.Format(TestJobs.Spec(coordinator.Directory)));
        var set = new FileDescriptorSet();
        foreach (var file in new[] { JobSpecReflection.Descriptor, JobsReflection.Descriptor, HealthReflection.Descriptor })
        {
            set.File.Add(FileDescriptorProto.Parser.ParseFrom(file.SerializedData));
        }
        string descriptors = Path.Combine(coordinator.Directory, "descriptors.pb");
        await File.WriteAllBytesAsync(descriptors, set.ToByteArray());

        var start = PythonGrpc.StartInfo(Path.Combine(AppContext.BaseDirectory, "CoordinatorPython", "jobs_client.py"),
            $"127.0.0.1:{coordinator.Server.Address.Port}", descriptors, specPath);
        using var process = Process.Start(start)!;
        try
        {
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"jobs_client.py exited with {process.ExitCode}: {await errors}");
            }
            _results = JsonDocument.Parse(await output);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    public Task DisposeAsync()
    {
        _results?.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class PythonJobsClientTests(PythonJobsClientFixture fixture) : IClassFixture<PythonJobsClientFixture>
{
    [PythonGrpcFact]
    public void HealthCheck_JobsService_Serving() =>
        Assert.Equal((int)HealthCheckResponse.Types.ServingStatus.Serving, fixture.Case("health").GetProperty("status").GetInt32());

    [PythonGrpcFact]
    public void SubmitJob_InvalidUnits_InvalidArgumentNamingTheField()
    {
        var result = fixture.Case("submit_invalid");

        Assert.Equal("INVALID_ARGUMENT", result.GetProperty("code").GetString());
        Assert.Contains("model.layers[0].dense.units", result.GetProperty("details").GetString(), StringComparison.Ordinal);
    }

    [PythonGrpcFact]
    public void WatchJob_ToEnd_SnapshotFirst() => Assert.Equal("snapshot", fixture.Case("watch").GetProperty("first").GetString());

    [PythonGrpcFact]
    public void GetJob_AfterWatch_SucceededWithTwoEpochs()
    {
        var result = fixture.Case("get");

        Assert.Equal(("SUCCEEDED", 2), (result.GetProperty("state").GetString(), result.GetProperty("epochs").GetInt32()));
    }

    [PythonGrpcFact]
    public void GetJob_UnknownId_NotFound() => Assert.Equal("NOT_FOUND", fixture.Case("get_unknown").GetProperty("code").GetString());

    [PythonGrpcFact]
    public void ListJobs_AfterSubmit_HoldsTheJob() =>
        Assert.Contains(fixture.Case("submit").GetProperty("job_id").GetString(),
            fixture.Case("list").GetProperty("job_ids").EnumerateArray().Select(id => id.GetString()));

    [PythonGrpcFact]
    public void DownloadCheckpoint_Whole_Sha256MatchesAndChunksAtMost1MiB()
    {
        var result = fixture.Case("download");

        Assert.True(result.GetProperty("sha256_matches").GetBoolean());
        Assert.Equal(result.GetProperty("total_size").GetInt64(), result.GetProperty("size").GetInt64());
        Assert.InRange(result.GetProperty("largest_chunk").GetInt32(), 1, 1024 * 1024);
    }

    [PythonGrpcFact]
    public void WatchJob_ShortDeadline_DeadlineExceeded() =>
        Assert.Equal("DEADLINE_EXCEEDED", fixture.Case("deadline").GetProperty("code").GetString());

    [PythonGrpcFact]
    public void CancelJob_RunningJob_Cancelled() => Assert.Equal("CANCELLED", fixture.Case("cancel").GetProperty("state").GetString());
}
