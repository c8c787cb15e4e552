using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Transport;

/// <summary>
/// What the Coordinator and Worker processes share around their server: logs on stderr, one "listening on URL" line
/// on stdout for the parent that started them with port 0, and a stop on SIGINT or SIGTERM instead of the runtime's
/// abrupt exit, so the server closes and the telemetry files are flushed.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private readonly TaskCompletionSource _stopping = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;

    /// <summary>Starts listening for SIGINT and SIGTERM.</summary>
    public ServerProcess()
    {
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    }

    /// <summary>Completes at the first SIGINT or SIGTERM.</summary>
    public Task Stopping => _stopping.Task;

    /// <summary>Information and above on stderr, one line each; ASP.NET Core's own from warnings on.</summary>
    public static void ConsoleLogging(ILoggingBuilder logging) => logging
        .SetMinimumLevel(LogLevel.Information)
        .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
        .AddSimpleConsole(console => console.SingleLine = true)
        .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);

    /// <summary>Prints "listening on URL" on stdout, the line parents wait for.</summary>
    public static void AnnounceAddress(Uri address)
    {
        Console.Out.WriteLine($"listening on {address.ToString().TrimEnd('/')}");
        Console.Out.Flush();
    }

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
    }

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        _stopping.TrySetResult();
    }
}
