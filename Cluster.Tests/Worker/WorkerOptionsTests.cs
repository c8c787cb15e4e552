using System.Net;
using DistributedTrainer.Numerics;
using DistributedTrainer.Training;
using DistributedTrainer.Worker;
using Xunit;

namespace DistributedTrainer.Tests.Worker;

public sealed class WorkerOptionsTests
{
    [Fact]
    public void Parse_AllFlags_ReadsEveryValue()
    {
        var options = WorkerOptions.Parse(["--coordinator", "http://10.0.0.1:5000", "--port", "6000", "--host", "0.0.0.0",
            "--advertise", "http://10.0.0.7:6000", "--threads", "4", "--name", "pod-3", "--token", "secret"], environmentToken: null);

        Assert.Equal(new Uri("http://10.0.0.1:5000"), options.Coordinator);
        Assert.Equal(6000, options.Port);
        Assert.Equal(IPAddress.Any, options.Host);
        Assert.Equal(new Uri("http://10.0.0.7:6000"), options.Advertise);
        Assert.Equal(4, options.Threads);
        Assert.Equal("pod-3", options.Name);
        Assert.Equal("secret", options.Token);
    }

    [Fact]
    public void Parse_Cpus_KeepsTheList()
    {
        int cpu = CpuAffinity.Allowed()[^1];

        var options = WorkerOptions.Parse(["--coordinator", "http://c:1", "--cpus", cpu.ToString(System.Globalization.CultureInfo.InvariantCulture)], environmentToken: null);

        Assert.Equal([cpu], options.Cpus);
    }

    [Theory]
    [InlineData("0-", "Invalid --cpus: '0-' ('0-' is neither a CPU number nor a range")]
    [InlineData("2-1", "Invalid --cpus: '2-1' (the range '2-1' runs downwards)")]
    [InlineData("1023", "Invalid --cpus: '1023' (CPU 1023 is not one this process may run on: ")]
    public void Parse_BadCpus_RefusedNamingTheFlagAndWhy(string cpus, string message)
    {
        var invalid = Assert.Throws<ArgumentException>(() => WorkerOptions.Parse(["--coordinator", "http://c:1", "--cpus", cpus], environmentToken: null));

        Assert.StartsWith(message, invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ShardBoard_KeepsTheDirectory()
    {
        string directory = Path.GetTempPath();

        var options = WorkerOptions.Parse(["--coordinator", "http://c:1", "--shard-board", directory], environmentToken: null);

        Assert.Equal(directory, options.ShardBoardDirectory);
        Assert.Null(WorkerOptions.Parse(["--coordinator", "http://c:1"], environmentToken: null).ShardBoardDirectory);
    }

    [Fact]
    public void Parse_ShardBoardThatIsNoDirectory_RefusedNamingTheFlag()
    {
        var invalid = Assert.Throws<ArgumentException>(() => WorkerOptions.Parse(["--coordinator", "http://c:1", "--shard-board", "/no/such/dir"], environmentToken: null));

        Assert.Equal("Invalid --shard-board: '/no/such/dir' (no such directory)", invalid.Message);
    }

    [Fact]
    public void Parse_RingSharedMemory_KeepsTheDirectoryAndRefusesOneThatIsNone()
    {
        string directory = Path.GetTempPath();

        var options = WorkerOptions.Parse(["--coordinator", "http://c:1", "--ring-shared-memory", directory], environmentToken: null);
        var invalid = Assert.Throws<ArgumentException>(() => WorkerOptions.Parse(["--coordinator", "http://c:1", "--ring-shared-memory", "/no/such/dir"], environmentToken: null));

        Assert.Equal(directory, options.RingSharedMemoryDirectory);
        Assert.Null(WorkerOptions.Parse(["--coordinator", "http://c:1"], environmentToken: null).RingSharedMemoryDirectory);
        Assert.Equal("Invalid --ring-shared-memory: '/no/such/dir' (no such directory)", invalid.Message);
    }

    [Fact]
    public void Parse_CoordinatorFile_KeptAndNoCoordinatorYet()
    {
        var options = WorkerOptions.Parse(["--coordinator-file", "/tmp/out/coordinator.url", "--port", "0"], environmentToken: null);

        Assert.Equal(("/tmp/out/coordinator.url", null), (options.CoordinatorFile, options.Coordinator));
    }

    [Fact]
    public void Parse_ClusterToken_IsTheToken()
    {
        var options = WorkerOptions.Parse(["--coordinator", "http://c:1", "--cluster-token", "k"], environmentToken: "from-env");

        Assert.Equal("k", options.Token);
    }

    [Fact]
    public void Parse_DataRoots_AllKept()
    {
        var options = WorkerOptions.Parse(["--coordinator", "http://c:1", "--data-root", "/a", "--data-root", "/b"], environmentToken: null);

        Assert.Equal(["/a", "/b"], options.DataRoots!);
    }

    [Fact]
    public void Parse_NoDataRoot_Unconfined() =>
        Assert.Null(WorkerOptions.Parse(["--coordinator", "http://c:1"], environmentToken: null).DataRoots);

    [Fact]
    public void Parse_RepeatedFault_ReadsEveryFault()
    {
        var options = WorkerOptions.Parse(["--coordinator", "http://c:1", "--fault", "drop-ring@7", "--fault", "delay-ring=20"], environmentToken: null);

        Assert.Equal((7L, TimeSpan.FromMilliseconds(20)), (options.Faults.DropRingFromStep, options.Faults.RingDelay));
    }

    [Theory]
    [InlineData("cpu-accelerator", "cpu-accelerator")]
    [InlineData("cuda", "cuda:0")]
    [InlineData("cuda:2", "cuda:2")]
    public void Parse_Device_ReadsIt(string flag, string device)
    {
        var options = WorkerOptions.Parse(["--coordinator", "http://c:1", "--device", flag], environmentToken: null);

        Assert.Equal(device, options.Device.ToString());
    }

    [Fact]
    public void Parse_NoDevice_ComputesOnTheCpu() =>
        Assert.Equal(ComputeDevice.Cpu, WorkerOptions.Parse(["--coordinator", "http://c:1"], environmentToken: null).Device);

    [Fact]
    public void Parse_NoFault_NoFaults()
    {
        var options = WorkerOptions.Parse(["--coordinator", "http://c:1"], environmentToken: null);

        Assert.True(options.Faults.IsNone);
    }

    [Fact]
    public void Parse_OnlyCoordinator_DefaultsToFreeLoopbackPortAndEnvironmentToken()
    {
        var options = WorkerOptions.Parse(["--coordinator", "http://127.0.0.1:5000"], environmentToken: "from-env");

        Assert.Equal((0, null, null, 0, null, "from-env"), (options.Port, options.Host, options.Advertise, options.Threads, options.Name, options.Token));
    }

    [Theory]
    [InlineData("--port 1", "one of --coordinator URL and --coordinator-file PATH is required")]
    [InlineData("--coordinator http://c:1 --coordinator-file /tmp/c.url", "one of --coordinator URL and --coordinator-file PATH is required")]
    [InlineData("--coordinator ftp://x", "Invalid --coordinator: 'ftp://x'")]
    [InlineData("--coordinator http://c:1 --port 70000", "Invalid --port: '70000'")]
    [InlineData("--coordinator http://c:1 --threads 0", "Invalid --threads: '0'")]
    [InlineData("--coordinator http://c:1 --host nowhere", "Invalid --host: 'nowhere'")]
    [InlineData("--coordinator http://c:1 --host 0.0.0.0", "--advertise URL is required with --host 0.0.0.0")]
    [InlineData("--coordinator http://c:1 --bogus 1", "Invalid argument: '--bogus'")]
    [InlineData("--coordinator", "--coordinator needs a value")]
    [InlineData("--coordinator http://c:1 --device gpu", "Invalid --device: 'gpu' (must be cpu, cpu-accelerator, cuda or cuda:N")]
    public void Parse_BadArguments_ThrowNamingTheFlag(string arguments, string expected)
    {
        var failure = Assert.Throws<ArgumentException>(() => WorkerOptions.Parse(arguments.Split(' '), environmentToken: null));

        Assert.Contains(expected, failure.Message);
    }
}
