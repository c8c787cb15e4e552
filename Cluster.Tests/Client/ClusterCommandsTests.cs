using System.Formats.Tar;
using System.Text.Json;
using DistributedTrainer.Tests.Coordinator;
using Xunit;

namespace DistributedTrainer.Tests.Client;

/// <summary>trainctl's cluster commands end to end against a coordinator child process.</summary>
public sealed class ClusterCommandsTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-cluster-cli-").FullName;
    private CoordinatorProcess _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await CoordinatorProcess.StartAsync(Path.Combine(_directory, "state"));

    public Task DisposeAsync()
    {
        _coordinator.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    private string Url => _coordinator.Address.ToString();

    [Fact]
    public void SubmitWatch_ValidSpec_ExitsWith0AndPrintsTheSucceededJob()
    {
        string spec = TestJobs.WriteSpecFile(_directory, epochs: 2);

        var result = TrainctlProcess.Run(Timeout, "submit", spec, "--watch", "--json", "--coordinator", Url);

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var job = JsonDocument.Parse(result.Stdout);
        Assert.Equal("SUCCEEDED", job.RootElement.GetProperty("state").GetString());
        Assert.Equal(2, job.RootElement.GetProperty("epochs").GetArrayLength());
    }

    [Fact]
    public void Submit_InvalidUnits_ExitsWith2AndNamesTheField()
    {
        string spec = TestJobs.WriteSpecFile(_directory, units: -4);

        var result = TrainctlProcess.Run(Timeout, "submit", spec, "--coordinator", Url);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("model.layers[0].dense.units", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void List_AfterSubmit_ShowsTheJob()
    {
        string jobId = TrainctlProcess.Run(Timeout, "submit", TestJobs.WriteSpecFile(_directory, epochs: 1), "--coordinator", Url).Stdout.Trim();

        var result = TrainctlProcess.Run(Timeout, "list", "--json", "--coordinator", Url);

        Assert.Equal(0, result.ExitCode);
        using var list = JsonDocument.Parse(result.Stdout);
        Assert.Equal(jobId, list.RootElement.GetProperty("jobs")[0].GetProperty("job_id").GetString());
    }

    [Fact]
    public void Export_FinishedJob_WritesTarWithTheThreeFiles()
    {
        var submitted = TrainctlProcess.Run(Timeout, "submit", TestJobs.WriteSpecFile(_directory, epochs: 1), "--watch", "--json", "--coordinator", Url);
        string jobId = JsonDocument.Parse(submitted.Stdout).RootElement.GetProperty("job_id").GetString()!;
        string output = Path.Combine(_directory, "export", "checkpoint.tar");

        var result = TrainctlProcess.Run(Timeout, "export", jobId, "--out", output, "--coordinator", Url);

        Assert.True(result.ExitCode == 0, result.Stderr);
        var names = new List<string>();
        using var reader = new TarReader(File.OpenRead(output));
        while (reader.GetNextEntry() is { } entry)
        {
            names.Add(Path.GetFileName(entry.Name));
        }
        Assert.Equal(["manifest.json", "model.safetensors", "optimizer.safetensors"], names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Export_SafetensorsTarget_WritesTheModelFileOnly()
    {
        var submitted = TrainctlProcess.Run(Timeout, "submit", TestJobs.WriteSpecFile(_directory, epochs: 1), "--watch", "--json", "--coordinator", Url);
        using var job = JsonDocument.Parse(submitted.Stdout);
        string jobId = job.RootElement.GetProperty("job_id").GetString()!;
        string checkpoint = job.RootElement.GetProperty("last_checkpoint").GetString()!;
        string output = Path.Combine(_directory, "model.safetensors");

        var result = TrainctlProcess.Run(Timeout, "export", jobId, "--out", output, "--coordinator", Url);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_directory, "state", "jobs", jobId, "checkpoints", checkpoint, "model.safetensors")),
            File.ReadAllBytes(output));
    }

    [Fact]
    public void Watch_FinishedJob_ExitsWith0()
    {
        string jobId = TrainctlProcess.Run(Timeout, "submit", TestJobs.WriteSpecFile(_directory, epochs: 1), "--coordinator", Url).Stdout.Trim();

        var result = TrainctlProcess.Run(Timeout, "watch", jobId, "--coordinator", Url);

        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    [Fact]
    public void Watch_CancelledJob_ExitsWith3()
    {
        string jobId = TrainctlProcess.Run(Timeout, "submit", TestJobs.WriteSpecFile(_directory, epochs: 10_000), "--coordinator", Url).Stdout.Trim();
        var cancelled = TrainctlProcess.Run(Timeout, "cancel", jobId, "--coordinator", Url);

        var result = TrainctlProcess.Run(Timeout, "watch", jobId, "--json", "--coordinator", Url);

        Assert.Equal((0, 3), (cancelled.ExitCode, result.ExitCode));
    }

    [Fact]
    public void Cancel_UnknownJob_ExitsWith2()
    {
        var result = TrainctlProcess.Run(Timeout, "cancel", "j-000000000000", "--coordinator", Url);

        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public void List_NoCoordinatorListening_ExitsWith4()
    {
        var result = TrainctlProcess.Run(Timeout, "list", "--coordinator", "http://127.0.0.1:1");

        Assert.Equal(4, result.ExitCode);
    }
}
