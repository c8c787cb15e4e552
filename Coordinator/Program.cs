using System.Runtime.InteropServices;
using DistributedTrainer.Coordinator;
using DistributedTrainer.Telemetry;
using Microsoft.Extensions.Logging;

// The coordinator process: `Coordinator --port P --state-dir DIR [--host A] [--token T] [--tls-cert F --tls-key F]`.
// Stdout carries one line, "listening on URL", for parents that started it with --port 0; logs go to stderr.
CoordinatorOptions options;
try
{
    options = CoordinatorOptions.Parse(args, Environment.GetEnvironmentVariable(CoordinatorOptions.TokenVariable));
}
catch (ArgumentException invalid)
{
    Console.Error.WriteLine($"Coordinator: {invalid.Message}");
    return 2;
}

// Traces and metrics: OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, else JSON lines for `trainctl trace`.
using var telemetry = TelemetrySetup.Start("coordinator",
    Environment.GetEnvironmentVariable(TrainerTelemetry.DirectoryVariable) ?? Path.Combine(options.StateDirectory, "telemetry"));

var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stopping.TrySetResult();
}
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

await using (var server = await CoordinatorServer.StartAsync(options, logging => logging
    .SetMinimumLevel(LogLevel.Information)
    .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
    .AddSimpleConsole(console => console.SingleLine = true)
    .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)))
{
    Console.Out.WriteLine($"listening on {server.Address.ToString().TrimEnd('/')}");
    Console.Out.Flush();
    await stopping.Task;
}
return 0;
