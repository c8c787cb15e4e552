using System.Diagnostics;
using System.Globalization;
using System.Text;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace DistributedTrainer.Telemetry;

/// <summary>
/// Names ASP.NET Core's server span of a gRPC call as the client's span is named (<c>trainer.v1.WorkerControl/Step</c>)
/// and gives it the RPC attributes the Grpc.Net.Client instrumentation gives the client's (<c>rpc.system.name</c>,
/// <c>rpc.method</c>, <c>rpc.response.status_code</c>), which the ASP.NET Core instrumentation leaves to HTTP:
/// grpc-dotnet tags the span with <c>grpc.method</c> and <c>grpc.status_code</c> only.
/// </summary>
internal static class GrpcServerSpans
{
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
        string method = path.TrimStart('/');
        activity.DisplayName = method;
        activity.SetTag("rpc.system.name", "grpc");
        activity.SetTag("rpc.method", method);
        if (int.TryParse(activity.GetTagItem(GrpcStatusTag)?.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out int status))
        {
            activity.SetTag("rpc.response.status_code", StatusNames.GetValueOrDefault((StatusCode)status, status.ToString(CultureInfo.InvariantCulture)));
        }
    }
}
