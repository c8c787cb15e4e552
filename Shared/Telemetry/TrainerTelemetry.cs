using DistributedTrainer.Diagnostics;

namespace DistributedTrainer.Telemetry;

/// <summary>
/// The names the telemetry of a trainer process is made of: the span sources and meters a provider subscribes
/// to, the environment variables it reads and the files it writes. Span names and attribute keys are in
/// <see cref="TrainingSpans"/> and <see cref="TrainingAttributes"/>, beside the source, for code that does not
/// reference this project.
/// </summary>
public static class TrainerTelemetry
{
    /// <summary>
    /// The span sources of the project's own code: training (<see cref="TrainingDiagnostics.SourceName"/>). gRPC calls
    /// are traced by the ASP.NET Core and Grpc.Net.Client instrumentation (<see cref="TelemetrySetup.AddTrainerTracing"/>).
    /// </summary>
    public static readonly IReadOnlyList<string> ActivitySourceNames = [TrainingDiagnostics.SourceName];

    /// <summary>
    /// Orleans' spans of application grain calls (<c>Orleans.Diagnostics.ActivitySources.ApplicationGrainActivitySourceName</c>;
    /// this project does not reference Orleans): a Jobs call's span has the job grain's call under it. The coordinator's
    /// silo propagates the trace context into grain calls. Orleans' runtime spans (membership, directory) are left out.
    /// </summary>
    public const string OrleansGrainCallsSourceName = "Microsoft.Orleans.Application";

    /// <summary>The meters of the project (<see cref="TrainingDiagnostics.MeterName"/>).</summary>
    public static readonly IReadOnlyList<string> MeterNames = [TrainingDiagnostics.MeterName];

    /// <summary>The directory for the JSON-lines files when none is given in code and no OTLP endpoint is set.</summary>
    public const string DirectoryVariable = "DT_TELEMETRY_DIR";

    /// <summary>The standard OTLP endpoint of all signals; when set (or a signal's own), that signal goes to OTLP.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The standard OTLP endpoint of traces only.</summary>
    public const string OtlpTracesEndpointVariable = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";

    /// <summary>The standard OTLP endpoint of metrics only.</summary>
    public const string OtlpMetricsEndpointVariable = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";

    /// <summary>The suffix of span files: <c>&lt;service&gt;-&lt;pid&gt;.traces.jsonl</c>, one span per line.</summary>
    public const string TracesFileSuffix = ".traces.jsonl";

    /// <summary>The suffix of metric files: <c>&lt;service&gt;-&lt;pid&gt;.metrics.jsonl</c>, one point per line.</summary>
    public const string MetricsFileSuffix = ".metrics.jsonl";
}
