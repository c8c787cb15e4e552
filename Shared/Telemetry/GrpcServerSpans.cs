using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace DistributedTrainer.Telemetry;

/// <summary>
/// Names ASP.NET Core's server span of a gRPC call as the client's span is named (<c>trainer.v1.WorkerControl/Step</c>)
/// and gives it the OpenTelemetry RPC attributes, which the ASP.NET Core instrumentation leaves to HTTP: grpc-dotnet
/// tags the span with <c>grpc.method</c> and <c>grpc.status_code</c> only.
/// </summary>
internal static class GrpcServerSpans
{
    private const string GrpcMethodTag = "grpc.method";
    private const string GrpcStatusTag = "grpc.status_code";

    /// <summary>Called by the instrumentation when the response starts; calls that are not gRPC are left alone.</summary>
    public static void Enrich(Activity activity, HttpResponse response)
    {
        if (activity.GetTagItem(GrpcMethodTag) is not string path || path.Length < 2)
        {
            return;
        }
        string method = path.TrimStart('/');
        int slash = method.IndexOf('/', StringComparison.Ordinal);
        activity.DisplayName = method;
        activity.SetTag("rpc.system", "grpc");
        if (slash > 0)
        {
            activity.SetTag("rpc.service", method[..slash]);
            activity.SetTag("rpc.method", method[(slash + 1)..]);
        }
        if (activity.GetTagItem(GrpcStatusTag) is { } status)
        {
            activity.SetTag("rpc.grpc.status_code", status);
        }
    }
}
