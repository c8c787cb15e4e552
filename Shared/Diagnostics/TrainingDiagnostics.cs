using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DistributedTrainer.Diagnostics;

/// <summary>
/// The span source and the meter of training, for code that must not depend on OpenTelemetry (the training
/// core, the grain, the workers): it starts spans and records metrics through the BCL, and whatever listens
/// (an OpenTelemetry provider from the Telemetry project, a test's <see cref="ActivityListener"/>) receives
/// them. Without a listener every call returns at once: <see cref="ActivitySource.StartActivity(string, ActivityKind)"/>
/// returns null and instruments drop their measurements.
/// </summary>
public static class TrainingDiagnostics
{
    /// <summary>The name of <see cref="Source"/>.</summary>
    public const string SourceName = "DistributedTrainer.Training";

    /// <summary>The name of <see cref="Meter"/>.</summary>
    public const string MeterName = "DistributedTrainer.Training";

    /// <summary>The source of training spans (<see cref="TrainingSpans"/>), with <see cref="TrainingAttributes"/> as tags.</summary>
    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>The meter of <see cref="TrainingMetrics"/>.</summary>
    public static readonly Meter Meter = new(MeterName);

    /// <summary>
    /// Starts the span of one training step as the root of a new trace (one trace per step), tagged with
    /// <paramref name="jobId"/>, <paramref name="step"/> and <paramref name="epoch"/>, and makes it current, so
    /// spans started in this flow, and gRPC calls made from it, join its trace. A span that was current before
    /// (a job span, a server call) is linked, not made the parent. Dispose the span when the step ends; the
    /// flow is then left with no current span. Null when nothing listens.
    /// </summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="step">The step number, as the trainer counts it (from 1).</param>
    /// <param name="epoch">The epoch number, from 1.</param>
    public static Activity? StartStep(string jobId, long step, int epoch)
    {
        Activity? previous = Activity.Current;
        Activity? activity = StartStepAhead(jobId, step, epoch);
        Activity.Current = activity ?? previous;
        return activity;
    }

    /// <summary>
    /// As <see cref="StartStep"/>, for a step that a backend starts while the one before it is still running: the span
    /// begins now but does not become current (the current flow is the earlier step's); the trainer makes it current
    /// when it runs the step. Links the span that is current now. Null when nothing listens.
    /// </summary>
    public static Activity? StartStepAhead(string jobId, long step, int epoch)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        Activity? previous = Activity.Current;
        Activity.Current = null;
        ActivityLink[]? links = previous is null ? null : [new ActivityLink(previous.Context)];
        var tags = new TagList
        {
            { TrainingAttributes.JobId, jobId },
            { TrainingAttributes.Step, step },
            { TrainingAttributes.Epoch, epoch },
        };
        Activity? activity = Source.StartActivity(TrainingSpans.Step, ActivityKind.Internal, default(ActivityContext), tags, links);
        Activity.Current = previous;
        return activity;
    }
}
