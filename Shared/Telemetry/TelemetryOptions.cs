using OpenTelemetry.Exporter;

namespace DistributedTrainer.Telemetry;

/// <summary>How <see cref="TelemetrySetup.Start(TelemetryOptions)"/> exports; every property has a default but the service name.</summary>
public sealed record TelemetryOptions
{
    /// <summary>The service (process) name: the <c>service.name</c> resource, and the start of the file names. Letters, digits, <c>-</c>, <c>_</c> and <c>.</c>.</summary>
    public required string ServiceName { get; init; }

    /// <summary>The directory of the JSON-lines files; null: <c>DT_TELEMETRY_DIR</c>; neither: no files.</summary>
    public string? FileDirectory { get; init; }

    /// <summary>
    /// Sends spans to OTLP configured in code (tests, embedders), whatever the environment says; null: OTLP
    /// only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c> is set, configured
    /// by the SDK from the <c>OTEL_*</c> variables (protocol, headers, timeout). An endpoint set in code is used
    /// as it is: give the full URL (<c>.../v1/traces</c> for HTTP/protobuf).
    /// </summary>
    public Action<OtlpExporterOptions>? OtlpTraces { get; init; }

    /// <summary>Sends metrics to OTLP configured in code; null: as <see cref="OtlpTraces"/> says, with <c>OTEL_EXPORTER_OTLP_METRICS_ENDPOINT</c>.</summary>
    public Action<OtlpExporterOptions>? OtlpMetrics { get; init; }

    /// <summary>How often metrics are written to the file; default 10 s. (OTLP: <c>OTEL_METRIC_EXPORT_INTERVAL</c>, default 60 s.)</summary>
    public TimeSpan MetricExportInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long finished spans wait to be written to the file in a batch; default 1 s.</summary>
    public TimeSpan SpanExportDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Reads an environment variable; default <see cref="Environment.GetEnvironmentVariable(string)"/>. Tests replace it.</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;
}
