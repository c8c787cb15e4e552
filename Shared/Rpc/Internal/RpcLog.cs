using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Rpc.Internal;

/// <summary>The log messages of the RPC layer.</summary>
internal static partial class RpcLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Handler of {Method} threw an unexpected exception; the client got UNKNOWN")]
    public static partial void HandlerFailed(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Rejected {Path}: {StatusCode} {Detail}")]
    public static partial void CallRejected(ILogger logger, string path, StatusCode statusCode, string detail);
}
