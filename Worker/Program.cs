using System.Runtime.InteropServices;
using DistributedTrainer.Numerics;
using DistributedTrainer.Telemetry;
using DistributedTrainer.Worker;
using Microsoft.Extensions.Logging;

// The worker process: `Worker --coordinator URL [--port P] [--host A] [--advertise URL] [--threads T] [--name N] [--token T] [--fault F]...`.
// Stdout carries one line, "listening on URL", for parents that started it with --port 0; logs go to stderr.
WorkerOptions options;
try
{
    options = WorkerOptions.Parse(args, Environment.GetEnvironmentVariable(WorkerOptions.TokenVariable));
}
catch (ArgumentException invalid)
{
    Console.Error.WriteLine($"Worker: {invalid.Message}");
    return 2;
}
if (options.Threads > 0)
{
    // The process computes for one job at a time, so its kernels may use all the threads it was given.
    ComputeThreads.Count = options.Threads;
}

// Traces and metrics: OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, else JSON lines in DT_TELEMETRY_DIR if set.
using var telemetry = TelemetrySetup.Start("worker", fileDirectory: null);

var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stopping.TrySetResult();
}
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

WorkerServer server;
try
{
    server = await WorkerServer.StartAsync(options, logging => logging
        .SetMinimumLevel(LogLevel.Information)
        .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
        .AddSimpleConsole(console => console.SingleLine = true)
        .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));
}
catch (IOException bind)
{
    // The flags name an address this machine cannot serve (port taken, address not local): a usage error.
    Console.Error.WriteLine($"Worker: cannot listen on {options.Host?.ToString() ?? "127.0.0.1"}:{options.Port}: {bind.Message}");
    return 2;
}
await using (server)
{
    Console.Out.WriteLine($"listening on {server.Address.ToString().TrimEnd('/')}");
    Console.Out.Flush();
    await stopping.Task;
}
return 0;
