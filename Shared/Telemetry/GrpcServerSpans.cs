using System.Diagnostics;
using System.Globalization;
using System.Text;
using DistributedTrainer.Diagnostics;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace DistributedTrainer.Telemetry;

/// <summary>
/// Names ASP.NET Core's server span of a gRPC call as the client's span is named (<c>trainer.v1.WorkerControl/Step</c>)
/// and gives it the RPC attributes the Grpc.Net.Client instrumentation gives the client's (<c>rpc.system.name</c>,
/// <c>rpc.method</c>, <c>rpc.response.status_code</c>), which the ASP.NET Core instrumentation leaves to HTTP:
/// grpc-dotnet tags the span with <c>grpc.method</c> and <c>grpc.status_code</c> only. A call served outside ASP.NET
/// Core (a worker's direct calls) gets the same span from <see cref="StartOutsideAspNetCore"/>.
/// </summary>
internal static class GrpcServerSpans
{
    private const string StatusTag = "rpc.response.status_code";

    private const string GrpcMethodTag = "grpc.method";
    private const string GrpcStatusTag = "grpc.status_code";

    // The status as the gRPC spec writes it (OK, DEADLINE_EXCEEDED, ...), worked out once: every call's span needs one.
    private static readonly Dictionary<StatusCode, string> StatusNames = Enum.GetValues<StatusCode>().ToDictionary(code => code, SnakeCase);

    private static string SnakeCase(StatusCode status)
    {
        string name = status.ToString();
        var snake = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]) && char.IsLower(name[i - 1]))
            {
                snake.Append('_');
            }
            snake.Append(char.ToUpperInvariant(name[i]));
        }
        return snake.ToString();
    }

    /// <summary>Called by the instrumentation as the request ends (the status is known then); calls that are not gRPC are left alone.</summary>
    public static void Enrich(Activity activity, HttpResponse response)
    {
        if (activity.GetTagItem(GrpcMethodTag) is not string path || path.Length < 2)
        {
            return;
        }
        Name(activity, path.TrimStart('/'));
        if (int.TryParse(activity.GetTagItem(GrpcStatusTag)?.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out int status))
        {
            SetStatus(activity, (StatusCode)status);
        }
    }

    /// <summary>
    /// The server span of a call that a process serves outside ASP.NET Core, named and tagged as <see cref="Enrich"/>
    /// names and tags ASP.NET Core's, from the training source. Give it the call's status with <see cref="SetStatus"/>
    /// and dispose it when the call ends. Like ASP.NET Core's, it is the current span of the flow that serves the call
    /// from here on (its handler tags it). Null when nothing listens.
    /// </summary>
    /// <param name="method">The full method, e.g. <c>trainer.v1.Collective/Subscribe</c>.</param>
    /// <param name="caller">The caller's span, from the request's <c>traceparent</c>; default: the span is the root of a
    /// trace of its own, as ASP.NET Core's span of a call without trace context is.</param>
    public static Activity? StartOutsideAspNetCore(string method, ActivityContext caller)
    {
        // Nothing of this process's flow is the call's parent: with a default context, the source would take the current span.
        Activity.Current = null;
        Activity? activity = TrainingDiagnostics.Source.StartActivity(method, ActivityKind.Server, caller);
        if (activity is not null)
        {
            Name(activity, method);
        }
        return activity;
    }

    /// <summary>Tags the call's status as the gRPC spec writes it (OK, UNAVAILABLE, ...); nothing without a span.</summary>
    public static void SetStatus(Activity? activity, StatusCode status) =>
        activity?.SetTag(StatusTag, StatusNames.GetValueOrDefault(status, ((int)status).ToString(CultureInfo.InvariantCulture)));

    private static void Name(Activity activity, string method)
    {
        activity.DisplayName = method;
        activity.SetTag("rpc.system.name", "grpc");
        activity.SetTag("rpc.method", method);
    }
}
