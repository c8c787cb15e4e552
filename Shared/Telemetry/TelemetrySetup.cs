using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DistributedTrainer.Telemetry;

/// <summary>
/// Starts the telemetry of a trainer process (coordinator, worker, trainctl): spans of
/// <see cref="TrainerTelemetry.ActivitySourceNames"/> and metrics of <see cref="TrainerTelemetry.MeterNames"/>.
/// Each signal goes to OTLP when the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or the signal's own
/// <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c> / <c>..._METRICS_ENDPOINT</c>) is set, with the SDK reading
/// protocol, headers and timeouts from <c>OTEL_*</c>; otherwise to JSON-lines files in the file directory
/// (<c>&lt;dir&gt;/&lt;service&gt;-&lt;pid&gt;.traces.jsonl</c> and <c>.metrics.jsonl</c>); with neither, nowhere.
/// </summary>
public static class TelemetrySetup
{
    /// <summary>Starts telemetry for <paramref name="serviceName"/>, with files in <paramref name="fileDirectory"/> (null: <c>DT_TELEMETRY_DIR</c>).</summary>
    /// <exception cref="ArgumentException">The service name is empty or not a file-name-safe word.</exception>
    /// <exception cref="IOException">The file directory cannot be created or a file opened.</exception>
    public static TelemetrySession Start(string serviceName, string? fileDirectory) =>
        Start(new TelemetryOptions { ServiceName = serviceName, FileDirectory = fileDirectory });

    /// <summary>Starts telemetry as <paramref name="options"/> say.</summary>
    /// <exception cref="ArgumentException">The service name is empty or not a file-name-safe word, or an interval is not positive.</exception>
    /// <exception cref="IOException">The file directory cannot be created or a file opened.</exception>
    public static TelemetrySession Start(TelemetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        string? directory = options.FileDirectory ?? NonEmpty(options.GetEnvironmentVariable(TrainerTelemetry.DirectoryVariable));
        bool anyEndpoint = IsSet(options, TrainerTelemetry.OtlpEndpointVariable);
        TelemetryExport traces = options.OtlpTraces is not null || anyEndpoint || IsSet(options, TrainerTelemetry.OtlpTracesEndpointVariable)
            ? TelemetryExport.Otlp
            : directory is null ? TelemetryExport.None : TelemetryExport.File;
        TelemetryExport metrics = options.OtlpMetrics is not null || anyEndpoint || IsSet(options, TrainerTelemetry.OtlpMetricsEndpointVariable)
            ? TelemetryExport.Otlp
            : directory is null ? TelemetryExport.None : TelemetryExport.File;
        if (directory is not null && (traces == TelemetryExport.File || metrics == TelemetryExport.File))
        {
            Directory.CreateDirectory(directory);
        }

        string fileStem = directory is null ? string.Empty : Path.Combine(directory, $"{options.ServiceName}-{Environment.ProcessId}");
        string? tracesFile = traces == TelemetryExport.File ? fileStem + TrainerTelemetry.TracesFileSuffix : null;
        string? metricsFile = metrics == TelemetryExport.File ? fileStem + TrainerTelemetry.MetricsFileSuffix : null;
        ResourceBuilder resource = ResourceBuilder.CreateDefault().AddService(options.ServiceName, serviceInstanceId: $"{Environment.MachineName}-{Environment.ProcessId}");

        TracerProvider? tracerProvider = null;
        MeterProvider? meterProvider = null;
        try
        {
            tracerProvider = traces switch
            {
                TelemetryExport.Otlp => TracerBuilder(resource).AddOtlpExporter(o => options.OtlpTraces?.Invoke(o)).Build(),
                TelemetryExport.File => TracerBuilder(resource).AddProcessor(new BatchActivityExportProcessor(
                    new JsonLinesSpanExporter(tracesFile!, options.ServiceName),
                    scheduledDelayMilliseconds: Milliseconds(options.SpanExportDelay))).Build(),
                _ => null,
            };
            meterProvider = metrics switch
            {
                TelemetryExport.Otlp => MeterBuilder(resource).AddOtlpExporter((o, _) => options.OtlpMetrics?.Invoke(o)).Build(),
                // Delta: a series is written only for the intervals it was measured in, and the SDK reclaims the
                // series of ended jobs (every training metric is tagged by job id). Cumulative kept every job's series
                // in memory for the life of the process and wrote all of them again at every export.
                TelemetryExport.File => MeterBuilder(resource).AddReader(new PeriodicExportingMetricReader(
                    new JsonLinesMetricExporter(metricsFile!, options.ServiceName),
                    exportIntervalMilliseconds: Milliseconds(options.MetricExportInterval))
                {
                    TemporalityPreference = MetricReaderTemporalityPreference.Delta,
                }).Build(),
                _ => null,
            };
        }
        catch
        {
            tracerProvider?.Dispose();
            meterProvider?.Dispose();
            throw;
        }

        return new TelemetrySession(tracerProvider, meterProvider, traces, metrics, tracesFile, metricsFile);
    }

    /// <summary>
    /// What a trainer process traces, for its providers and for tests that record in memory: the training spans,
    /// a server span per incoming gRPC call (ASP.NET Core's, named <c>package.Service/Method</c> with the
    /// <c>rpc.*</c> attributes) and a client span per outgoing call (Grpc.Net.Client's, covering the whole call;
    /// the HTTP request under it is not traced twice).
    /// </summary>
    public static TracerProviderBuilder AddTrainerTracing(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder
            .AddSource([.. TrainerTelemetry.ActivitySourceNames, TrainerTelemetry.OrleansGrainCallsSourceName])
            .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.EnrichWithHttpResponse = GrpcServerSpans.Enrich)
            .AddGrpcClientInstrumentation(grpc => grpc.SuppressDownstreamInstrumentation = true);
    }

    /// <summary>What a trainer process measures: the training meters and the .NET runtime's (GC, thread pool, JIT).</summary>
    public static MeterProviderBuilder AddTrainerMetrics(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter([.. TrainerTelemetry.MeterNames]).AddRuntimeInstrumentation();
    }

    private static TracerProviderBuilder TracerBuilder(ResourceBuilder resource) =>
        Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddTrainerTracing();

    private static MeterProviderBuilder MeterBuilder(ResourceBuilder resource) =>
        Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddTrainerMetrics();

    private static void Validate(TelemetryOptions options)
    {
        string name = options.ServiceName;
        if (string.IsNullOrEmpty(name) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException($"Invalid ServiceName: '{name}' (must be non-empty ASCII letters, digits, '-', '_' or '.': it starts the file names)", nameof(options));
        }

        if (options.MetricExportInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Invalid MetricExportInterval: {options.MetricExportInterval} (must be positive)", nameof(options));
        }

        if (options.SpanExportDelay <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Invalid SpanExportDelay: {options.SpanExportDelay} (must be positive)", nameof(options));
        }
    }

    private static bool IsSet(TelemetryOptions options, string variable) => NonEmpty(options.GetEnvironmentVariable(variable)) is not null;

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static int Milliseconds(TimeSpan interval) => (int)Math.Clamp(interval.TotalMilliseconds, 1, int.MaxValue);
}
