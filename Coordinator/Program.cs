using DistributedTrainer.Transport;
using DistributedTrainer.Coordinator;
using DistributedTrainer.Telemetry;

// The coordinator process: `Coordinator --port P --state-dir DIR [--host A] [--client-token T] [--cluster-token T] [--token T]
// [--data-root DIR]... [--tls-cert F --tls-key F] [--max-queued-jobs N] [--max-watches N] [--max-spec-bytes N] [--dashboard-port P]`.
// Stdout carries "listening on URL" for parents that started it with --port 0 (after "dashboard on URL" with a
// dashboard); logs go to stderr.
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
string telemetryDirectory = Environment.GetEnvironmentVariable(TrainerTelemetry.DirectoryVariable) ?? options.EffectiveTelemetryDirectory();
using var telemetry = TelemetrySetup.Start("coordinator", telemetryDirectory);
// The dashboard's step waterfall reads the span files where every process of the cluster writes them.
options = options with { TelemetryDirectory = telemetryDirectory };

using var process = new ServerProcess();
await using (var server = await CoordinatorServer.StartAsync(options, ServerProcess.ConsoleLogging))
{
    if (server.DashboardAddress is { } dashboard)
    {
        ServerProcess.AnnounceDashboard(dashboard);
    }
    ServerProcess.AnnounceAddress(server.Address);
    await process.Stopping;
}
return 0;
