using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace DistributedTrainer.Tests.Worker;

/// <summary>The Worker executable: starts, says where it listens, stops on SIGTERM and refuses bad flags.</summary>
public sealed class WorkerProgramTests
{
    [Fact]
    public async Task Main_PortZero_PrintsLoopbackAddressAndExitsZeroOnSigterm()
    {
        // Nothing listens on port 1: the worker keeps retrying registration and still serves.
        using var worker = await WorkerProcess.StartAsync("--coordinator", "http://127.0.0.1:1", "--port", "0", "--threads", "1");

        bool exited = worker.Terminate(TimeSpan.FromSeconds(30));

        Assert.Equal("127.0.0.1", worker.Address.Host);
        Assert.True(exited, $"the worker did not exit on SIGTERM; stderr: {worker.Stderr}");
        Assert.Equal(0, worker.ExitCode);
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(worker.Id));
    }

    [Fact]
    public async Task Main_Cpus_ConfinesEveryThreadAndSaysSo()
    {
        int cpu = DistributedTrainer.Numerics.CpuAffinity.Allowed()[^1];
        string list = cpu.ToString(CultureInfo.InvariantCulture);
        using var worker = await WorkerProcess.StartAsync("--coordinator", "http://127.0.0.1:1", "--port", "0", "--cpus", list);

        // Every thread the runtime and the servers started, the main thread's earliest ones included (a thread that
        // ends between the listing and the read is left out).
        var threads = Directory.GetDirectories($"/proc/{worker.Id}/task").Select(AllowedCpusOf).OfType<string>().ToList();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!worker.Stderr.Contains("Threads confined to CPUs", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(threads.Count > 5, $"only {threads.Count} threads");
        Assert.All(threads, allowed => Assert.Equal(list, allowed));
        Assert.Contains($"Threads confined to CPUs {list} (--cpus)", worker.Stderr, StringComparison.Ordinal);
    }

    private static string? AllowedCpusOf(string task)
    {
        try
        {
            return File.ReadLines(Path.Combine(task, "status"))
                .Single(line => line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)).Split(':')[1].Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    [Fact]
    public void Main_CpusNotAllowed_ExitsTwoNamingTheFlag()
    {
        var (exitCode, stderr) = WorkerProcess.Run(TimeSpan.FromSeconds(30), "--coordinator", "http://127.0.0.1:1", "--cpus", "1023");

        Assert.Equal(2, exitCode);
        Assert.Contains("Worker: Invalid --cpus: '1023' (CPU 1023 is not one this process may run on", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Main_Killed_LeavesNoProcess()
    {
        var worker = await WorkerProcess.StartAsync("--coordinator", "http://127.0.0.1:1", "--port", "0");
        int id = worker.Id;

        worker.Dispose();

        Assert.Throws<ArgumentException>(() => Process.GetProcessById(id));
    }

    [Fact]
    public void Main_UnknownFlag_ExitsTwoNamingIt()
    {
        var (exitCode, stderr) = WorkerProcess.Run(TimeSpan.FromSeconds(30), "--coordinator", "http://127.0.0.1:1", "--bogus", "1");

        Assert.Equal(2, exitCode);
        Assert.Contains("'--bogus'", stderr);
    }

    // No machine has 64 CUDA devices; this one has no CUDA driver at all, which gives the same exit and flag.
    [Fact]
    public void Main_CudaDeviceNotThere_ExitsTwoNamingTheDeviceWithoutAStackTrace()
    {
        var (exitCode, stderr) = WorkerProcess.Run(TimeSpan.FromSeconds(30), "--coordinator", "http://127.0.0.1:1", "--device", "cuda:63");

        Assert.Equal(2, exitCode);
        Assert.Contains("Worker: --device cuda:63: ", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void Main_PortInUse_ExitsTwoNamingTheAddress()
    {
        var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            string port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

            var (exitCode, stderr) = WorkerProcess.Run(TimeSpan.FromSeconds(30), "--coordinator", "http://127.0.0.1:1", "--port", port);

            Assert.Equal(2, exitCode);
            Assert.Contains($"cannot listen on 127.0.0.1:{port}", stderr);
        }
        finally
        {
            taken.Stop();
        }
    }
}
