using DistributedTrainer.Devices;
using DistributedTrainer.Transport;
using DistributedTrainer.Numerics;
using DistributedTrainer.Telemetry;
using DistributedTrainer.Worker;

// The worker process: `Worker --coordinator URL|--coordinator-file PATH [--port P] [--host A] [--advertise URL] [--threads T] [--name N] [--cluster-token T]
// [--data-root DIR]... [--fault F]... [--device cpu|cuda[:N]|cpu-accelerator] [--cpus LIST] [--shard-board DIR]`.
// Stdout carries one line, "listening on URL", for parents that started it with --port 0; logs go to stderr.
WorkerOptions options;
try
{
    options = WorkerOptions.Parse(args, Environment.GetEnvironmentVariable(WorkerOptions.TokenVariable)
        ?? Environment.GetEnvironmentVariable(WorkerOptions.LegacyTokenVariable));
}
catch (ArgumentException invalid)
{
    Console.Error.WriteLine($"Worker: {invalid.Message}");
    return 2;
}
if (options.Cpus is { } cpus)
{
    // First, before the servers start their threads: the threads started later inherit the confinement.
    CpuAffinity.PinProcess(cpus);
}
// The process computes for one job at a time, so its kernels may use all the threads it was given, or one per CPU it
// is confined to (the runtime counted the machine's before).
int computeThreads = options.Threads > 0 ? options.Threads : options.Cpus?.Count ?? 0;
if (computeThreads > 0)
{
    ComputeThreads.Count = computeThreads;
}

// Traces and metrics: OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, else JSON lines in DT_TELEMETRY_DIR if set.
using var telemetry = TelemetrySetup.Start("worker", fileDirectory: null);

using var process = new ServerProcess();
WorkerServer server;
try
{
    server = await WorkerServer.StartAsync(options, ServerProcess.ConsoleLogging);
}
catch (IOException bind)
{
    // The flags name an address this machine cannot serve (port taken, address not local): a usage error.
    Console.Error.WriteLine($"Worker: cannot listen on {options.Host?.ToString() ?? "127.0.0.1"}:{options.Port}: {bind.Message}");
    return 2;
}
catch (Exception coordinatorFile) when (options.CoordinatorFile is not null && coordinatorFile is TimeoutException or ArgumentException)
{
    // --coordinator-file stayed empty (its writer never saw a coordinator listen) or holds no URL.
    Console.Error.WriteLine($"Worker: {coordinatorFile.Message}");
    return 2;
}
catch (DeviceUnavailableException missing)
{
    // --device names a GPU this machine does not have (or has no driver for): a usage error, not a crash.
    Console.Error.WriteLine($"Worker: {missing.Message}");
    return 2;
}
await using (server)
{
    ServerProcess.AnnounceAddress(server.Address);
    await process.Stopping;
    // Under Kubernetes' default 30 s grace: the step in flight finishes and the coordinator releases the worker first.
    await server.LeaveAsync(TimeSpan.FromSeconds(25));
}
return 0;
