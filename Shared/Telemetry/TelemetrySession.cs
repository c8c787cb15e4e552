using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace DistributedTrainer.Telemetry;

/// <summary>
/// The telemetry of one process, from <see cref="TelemetrySetup.Start(TelemetryOptions)"/>: owns the tracer and
/// meter providers. Dispose it when the process ends: that exports what is pending (last spans, a final
/// metric collection) and closes the files.
/// </summary>
public sealed class TelemetrySession : IDisposable
{
    private readonly TracerProvider? _tracerProvider;
    private readonly MeterProvider? _meterProvider;

    internal TelemetrySession(TracerProvider? tracerProvider, MeterProvider? meterProvider, TelemetryExport traces, TelemetryExport metrics,
        string? tracesFile, string? metricsFile)
    {
        _tracerProvider = tracerProvider;
        _meterProvider = meterProvider;
        Traces = traces;
        Metrics = metrics;
        TracesFile = tracesFile;
        MetricsFile = metricsFile;
    }

    /// <summary>Where spans go.</summary>
    public TelemetryExport Traces { get; }

    /// <summary>Where metrics go.</summary>
    public TelemetryExport Metrics { get; }

    /// <summary>The span file, when <see cref="Traces"/> is <see cref="TelemetryExport.File"/>.</summary>
    public string? TracesFile { get; }

    /// <summary>The metric file, when <see cref="Metrics"/> is <see cref="TelemetryExport.File"/>.</summary>
    public string? MetricsFile { get; }

    /// <summary>Exports finished spans and collects and exports metrics now; false when it timed out or failed.</summary>
    /// <param name="timeout">How long to wait; default 5 s.</param>
    public bool ForceFlush(TimeSpan? timeout = null)
    {
        int milliseconds = (int)(timeout ?? TimeSpan.FromSeconds(5)).TotalMilliseconds;
        bool traces = _tracerProvider?.ForceFlush(milliseconds) ?? true;
        bool metrics = _meterProvider?.ForceFlush(milliseconds) ?? true;
        return traces && metrics;
    }

    /// <summary>Exports what is pending, stops listening and closes the files.</summary>
    public void Dispose()
    {
        _tracerProvider?.Dispose();
        _meterProvider?.Dispose();
    }
}
