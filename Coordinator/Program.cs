using DistributedTrainer.Transport;
using DistributedTrainer.Coordinator;
using DistributedTrainer.Telemetry;

// The coordinator process: `Coordinator --port P --state-dir DIR [--host A] [--client-token T] [--cluster-token T] [--token T]
// [--data-root DIR]... [--tls-cert F --tls-key F] [--max-queued-jobs N] [--max-watches N] [--max-spec-bytes N]`.
// Stdout carries one line, "listening on URL", for parents that started it with --port 0; logs go to stderr.
CoordinatorOptions options;
try
{
    options = CoordinatorOptions.Parse(args, Environment.GetEnvironmentVariable(CoordinatorOptions.TokenVariable),
        Environment.GetEnvironmentVariable(CoordinatorOptions.ClientTokenVariable), Environment.GetEnvironmentVariable(CoordinatorOptions.ClusterTokenVariable));
}
catch (ArgumentException invalid)
{
    Console.Error.WriteLine($"Coordinator: {invalid.Message}");
    return 2;
}

// Traces and metrics: OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, else JSON lines for `trainctl trace`.
using var telemetry = TelemetrySetup.Start("coordinator",
    Environment.GetEnvironmentVariable(TrainerTelemetry.DirectoryVariable) ?? Path.Combine(options.StateDirectory, "telemetry"));

using var process = new ServerProcess();
await using (var server = await CoordinatorServer.StartAsync(options, ServerProcess.ConsoleLogging))
{
    ServerProcess.AnnounceAddress(server.Address);
    await process.Stopping;
}
return 0;
