using System.Diagnostics;

namespace DistributedTrainer.Rpc;

/// <summary>
/// The tracing of the gRPC runtime. Every client call starts a <see cref="ActivityKind.Client"/> span named
/// <c>package.Service/Method</c> and sends its W3C trace context (<c>traceparent</c>, <c>tracestate</c>) in the
/// request metadata; the server continues that trace with a <see cref="ActivityKind.Server"/> span of the same
/// name, current while the handler runs. Both carry <c>rpc.system</c>, <c>rpc.service</c>, <c>rpc.method</c>,
/// <c>rpc.grpc.status_code</c> and <c>server.address</c>/<c>server.port</c>. Nothing is recorded, and nothing
/// allocated, until a listener (an <see cref="ActivityListener"/> or an OpenTelemetry TracerProvider) subscribes
/// to <see cref="ActivitySourceName"/>.
/// </summary>
public static class RpcDiagnostics
{
    /// <summary>The name of the <see cref="ActivitySource"/> of client and server call spans.</summary>
    public const string ActivitySourceName = "DistributedTrainer.Rpc";

    internal static readonly ActivitySource Source = new(ActivitySourceName);
}
