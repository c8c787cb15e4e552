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

    /// <summary>The start of the stdout line that gives the server's gRPC address.</summary>
    public const string ListeningPrefix = "listening on ";

    /// <summary>The start of the stdout line that gives a coordinator's web dashboard address, printed before <see cref="ListeningPrefix"/>'s.</summary>
    public const string DashboardPrefix = "dashboard on ";

    /// <summary>Prints "dashboard on URL" on stdout; call it before <see cref="AnnounceAddress"/>, so a parent that waited for that line has read this one.</summary>
    public static void AnnounceDashboard(Uri address)
    {
        Console.Out.WriteLine($"{DashboardPrefix}{address.ToString().TrimEnd('/')}");
    }

    /// <summary>Prints "listening on URL" on stdout, the line parents wait for.</summary>
    public static void AnnounceAddress(Uri address)
    {
        Console.Out.WriteLine($"{ListeningPrefix}{address.ToString().TrimEnd('/')}");
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
