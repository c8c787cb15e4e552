using System.Diagnostics;
using System.Net.Http.Headers;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Http;

namespace DistributedTrainer.Rpc.Internal;

/// <summary>
/// Starts and ends the spans of <see cref="RpcDiagnostics"/>, with the OpenTelemetry semantic conventions for
/// gRPC (<c>rpc.*</c> attributes; which status codes are errors on each side).
/// </summary>
internal static class RpcActivity
{
    public const string TraceParentHeader = "traceparent";
    public const string TraceStateHeader = "tracestate";

    /// <summary>
    /// Starts the client span of a call, child of <see cref="Activity.Current"/>, and writes the trace context
    /// into <paramref name="headers"/>. The span is not left current: it ends whenever the call's status is
    /// known, which may be in another flow than the caller's. Without a listener no span starts, but a current
    /// span of the caller still travels, so a process that records only its own spans keeps the trace whole.
    /// </summary>
    public static Activity? StartClient(MethodDescriptor method, string path, Uri address, HttpRequestHeaders headers)
    {
        Activity? parent = Activity.Current;
        if (!RpcDiagnostics.Source.HasListeners())
        {
            if (parent is not null)
            {
                Inject(parent, headers);
            }

            return null;
        }

        Activity? activity = RpcDiagnostics.Source.StartActivity(SpanName(path), ActivityKind.Client);
        if (activity is null)
        {
            if (parent is not null)
            {
                Inject(parent, headers);
            }

            return null;
        }

        Activity.Current = parent;
        if (activity.IsAllDataRequested)
        {
            activity.SetTag("rpc.system", "grpc");
            activity.SetTag("rpc.service", method.Service.FullName);
            activity.SetTag("rpc.method", method.Name);
            activity.SetTag("server.address", address.Host);
            activity.SetTag("server.port", address.Port);
        }

        Inject(activity, headers);
        return activity;
    }

    /// <summary>
    /// Starts the server span of a call as the child of the caller's span, from the request's
    /// <c>traceparent</c>, and makes it current for the handler; a request without one starts a new trace.
    /// </summary>
    public static Activity? StartServer(MethodDescriptor method, string spanName, HttpContext http)
    {
        if (!RpcDiagnostics.Source.HasListeners())
        {
            return null;
        }

        IHeaderDictionary headers = http.Request.Headers;
        ActivityContext.TryParse(headers[TraceParentHeader], headers[TraceStateHeader], isRemote: true, out ActivityContext remote);

        // ASP.NET Core may have made its own request activity current (for log scopes); this span descends
        // from the caller's, never from that one, which no exporter here records.
        Activity.Current = null;
        Activity? activity = RpcDiagnostics.Source.StartActivity(spanName, ActivityKind.Server, remote);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("rpc.system", "grpc");
            activity.SetTag("rpc.service", method.Service.FullName);
            activity.SetTag("rpc.method", method.Name);
            if (http.Connection.LocalIpAddress is { } local)
            {
                activity.SetTag("server.address", local.ToString());
                activity.SetTag("server.port", http.Connection.LocalPort);
            }
        }

        return activity;
    }

    /// <summary>Records the status and ends the span, leaving <see cref="Activity.Current"/> as it was.</summary>
    /// <param name="activity">The span, or null when none was started.</param>
    /// <param name="code">The call's status.</param>
    /// <param name="detail">The status message.</param>
    /// <param name="server">True on the server side, where only codes that mean a server fault are errors.</param>
    public static void Stop(Activity? activity, StatusCode code, string detail, bool server)
    {
        if (activity is null)
        {
            return;
        }

        if (activity.IsAllDataRequested)
        {
            activity.SetTag("rpc.grpc.status_code", (int)code);
            if (code != StatusCode.OK && (!server || IsServerError(code)))
            {
                activity.SetStatus(ActivityStatusCode.Error, detail.Length > 0 ? detail : code.ToString());
            }
        }

        // Stop makes the span's parent current in the flow it runs in; that flow may be any of the call's.
        Activity? current = Activity.Current;
        activity.Stop();
        if (current != activity)
        {
            Activity.Current = current;
        }
    }

    /// <summary>The span name: the method path without its leading slash, <c>package.Service/Method</c>.</summary>
    public static string SpanName(string path) => path[1..];

    // The semantic conventions for gRPC server spans: a status the client caused (NOT_FOUND, CANCELLED, ...)
    // leaves the server span unset.
    private static bool IsServerError(StatusCode code) => code is StatusCode.Unknown or StatusCode.DeadlineExceeded
        or StatusCode.Unimplemented or StatusCode.Internal or StatusCode.Unavailable or StatusCode.DataLoss;

    private static void Inject(Activity activity, HttpRequestHeaders headers)
    {
        if (activity.IdFormat != ActivityIdFormat.W3C)
        {
            return;
        }

        headers.TryAddWithoutValidation(TraceParentHeader, activity.Id);
        if (activity.TraceStateString is { Length: > 0 } state)
        {
            headers.TryAddWithoutValidation(TraceStateHeader, state);
        }
    }
}
