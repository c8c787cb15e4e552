using System.Text.Json;
using System.Xml.Linq;
using DistributedTrainer.Tests.Coordinator;
using Xunit;

namespace DistributedTrainer.Tests.Client;

public sealed class TrainCommandTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-trainctl-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A CSV problem (label, 4 features) the MLP separates easily, and a spec over it.</summary>
    private string WriteSpec(int units = 8, int epochs = 2) => TestJobs.WriteSpecFile(_directory, epochs, units);

    [Fact]
    public void Train_ValidSpecWithJson_PrintsSummaryAndWritesOutputs()
    {
        string output = Path.Combine(_directory, "out");

        var result = TrainctlProcess.Run(Timeout, "train", WriteSpec(), "--json", "--out", output, "--threads", "1");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var summary = JsonDocument.Parse(result.Stdout);
        Assert.True(summary.RootElement.GetProperty("test_accuracy").GetDouble() > 0.9, result.Stdout);
        Assert.Equal(2, summary.RootElement.GetProperty("epochs").GetInt32());
        Assert.True(summary.RootElement.GetProperty("train_samples_per_second").GetDouble() > 0);
        Assert.True(summary.RootElement.GetProperty("wall_seconds").GetDouble() > 0);
        var metrics = File.ReadAllLines(Path.Combine(output, "metrics.csv"));
        Assert.Equal(3, metrics.Length);
        Assert.StartsWith("epoch,step,train_loss", metrics[0], StringComparison.Ordinal);
        Assert.Equal("svg", XDocument.Load(Path.Combine(output, "curves.svg")).Root!.Name.LocalName);
        Assert.NotEmpty(Directory.GetDirectories(Path.Combine(output, "checkpoints"), "step-*"));
    }

    [Fact]
    public void Train_InvalidUnits_ExitsWith2AndNamesTheField()
    {
        var result = TrainctlProcess.Run(Timeout, "train", WriteSpec(units: -4), "--out", Path.Combine(_directory, "out"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("model.layers[0].dense.units", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_MissingSpecFile_ExitsWith2()
    {
        var result = TrainctlProcess.Run(Timeout, "train", Path.Combine(_directory, "missing.yaml"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("missing.yaml", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_CpuAccelerator_TrainsTheMlpOnTheDeviceKernels()
    {
        var result = TrainctlProcess.Run(Timeout, "train", WriteSpec(), "--json", "--out", Path.Combine(_directory, "out"), "--device", "cpu-accelerator");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var summary = JsonDocument.Parse(result.Stdout);
        Assert.True(summary.RootElement.GetProperty("test_accuracy").GetDouble() > 0.9, result.Stdout);
        Assert.Contains("computing on cpu-accelerator (ILGPU ", result.Stderr, StringComparison.Ordinal);
    }

    // No machine has 64 CUDA devices; without a driver (this machine) plain "cuda" is refused the same way.
    [Fact]
    public void Train_CudaDeviceNotThere_ExitsWith2NamingTheDevice()
    {
        var result = TrainctlProcess.Run(Timeout, "train", WriteSpec(), "--out", Path.Combine(_directory, "out"), "--device", "cuda:63");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("trainctl: --device cuda:63: ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_UnknownDevice_ExitsWith2NamingTheChoices()
    {
        var result = TrainctlProcess.Run(Timeout, "train", WriteSpec(), "--device", "gpu");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Invalid --device: 'gpu' (must be cpu, cpu-accelerator, cuda or cuda:N", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_UnknownFlag_ExitsWith2()
    {
        var result = TrainctlProcess.Run(Timeout, "train", WriteSpec(), "--bogus");

        Assert.Equal(2, result.ExitCode);
    }
}
