using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Tests;

/// <summary>Every formatted log message (and exception) of the loggers its provider makes, in memory.</summary>
internal sealed class CapturedLogs
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILoggerProvider Provider() => new LoggerProvider(this);

    private sealed class LoggerProvider(CapturedLogs owner) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(owner, categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue($"{category}[{eventId.Id}] {formatter(state, exception)} {exception}");
    }
}
