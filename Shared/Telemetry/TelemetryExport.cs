namespace DistributedTrainer.Telemetry;

/// <summary>Where one signal (traces or metrics) of a <see cref="TelemetrySession"/> goes.</summary>
public enum TelemetryExport
{
    /// <summary>Nowhere: nothing subscribes, so instrumentation costs nothing.</summary>
    None,

    /// <summary>To an OTLP endpoint (gRPC or HTTP/protobuf).</summary>
    Otlp,

    /// <summary>To a JSON-lines file of the project's own format.</summary>
    File,
}
