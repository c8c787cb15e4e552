using System.Collections.Concurrent;
using System.Diagnostics;

namespace DistributedTrainer.Tests.Telemetry;

/// <summary>
/// Records every span of the named sources that stops while it lives (an <see cref="ActivityListener"/>).
/// Tests run side by side, so a test picks its own spans by the trace id of a parent it started.
/// </summary>
internal sealed class ActivityRecorder : IDisposable
{
    public const string TestSourceName = "DistributedTrainer.Tests";

    /// <summary>A source for the parent spans tests start.</summary>
    public static readonly ActivitySource TestSource = new(TestSourceName);

    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly ActivityListener _listener;

    public ActivityRecorder(params string[] sources)
    {
        var names = new HashSet<string>(sources.Append(TestSourceName), StringComparer.Ordinal);
        _listener = new ActivityListener
        {
            ShouldListenTo = source => names.Contains(source.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                _stopped.Enqueue(activity);
                _signal.Release();
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Every span that stopped so far.</summary>
    public IReadOnlyList<Activity> Stopped => _stopped.ToList();

    /// <summary>The spans of <paramref name="traceId"/> that stopped so far.</summary>
    public IReadOnlyList<Activity> InTrace(ActivityTraceId traceId) => _stopped.Where(a => a.TraceId == traceId).ToList();

    /// <summary>Waits (up to 10 s) until <paramref name="count"/> spans of <paramref name="traceId"/> stopped; the server's may end after the client's.</summary>
    public async Task<IReadOnlyList<Activity>> WaitForTraceAsync(ActivityTraceId traceId, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (InTrace(traceId).Count < count)
        {
            await _signal.WaitAsync(timeout.Token);
        }

        return InTrace(traceId);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _signal.Dispose();
    }
}
