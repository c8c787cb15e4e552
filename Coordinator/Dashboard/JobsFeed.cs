using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Coordinator.Dashboard;

/// <summary>
/// The jobs page's stream: first every job (<c>jobs</c>: the ListJobs answer), then the events of every job not yet
/// ended and of every job created later (<c>job</c>: <c>{"jobId", "event"}</c> with a WatchJob event), read from the
/// job grains' own watches: the same events the Jobs API streams. Step events come at most every
/// <see cref="StepInterval"/> per job and the step history a watch begins with is left out (the table shows progress,
/// not curves); every other event comes as it is, and after a state change or a message the job's snapshot too (its
/// worker count changes without an event of its own).
/// </summary>
internal sealed class JobsFeed(IGrainFactory grains, JobIndex index, JobSubmissions submissions)
{
    /// <summary>Least time between two step events of one job on this stream.</summary>
    public static readonly TimeSpan StepInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>True for the events after which the dashboard sends the job's snapshot: state changes and messages.</summary>
    public static bool ChangesTheJob(JobEvent jobEvent) =>
        jobEvent.EventCase is JobEvent.EventOneofCase.State or JobEvent.EventOneofCase.Message;

    /// <summary>The stream's items until <paramref name="cancellation"/> fires.</summary>
    public async IAsyncEnumerable<SseItem<string>> StreamAsync([EnumeratorCancellation] CancellationToken cancellation)
    {
        var events = Channel.CreateUnbounded<SseItem<string>>(new UnboundedChannelOptions { SingleReader = true });
        var followed = new HashSet<string>(StringComparer.Ordinal);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        void Follow(string jobId)
        {
            lock (followed)
            {
                if (!followed.Add(jobId))
                {
                    return;
                }
            }
            _ = Task.Run(() => ForwardAsync(jobId, events.Writer, stop.Token), CancellationToken.None);
        }
        // Listening before listing: a job created in between is followed from one or the other, never missed.
        Action<string> onSubmitted = Follow;
        submissions.Submitted += onSubmitted;
        try
        {
            var jobs = await index.ListAsync();
            var list = new ListJobsResponse();
            list.Jobs.AddRange(jobs);
            yield return new SseItem<string>(DashboardJson.Format(list), "jobs");
            foreach (var job in jobs.Where(job => !JobGrain.IsEnded(job.State)))
            {
                Follow(job.JobId);
            }
            await foreach (var item in events.Reader.ReadAllAsync(cancellation))
            {
                yield return item;
            }
        }
        finally
        {
            submissions.Submitted -= onSubmitted;
            await stop.CancelAsync();
        }
    }

    private async Task ForwardAsync(string jobId, ChannelWriter<SseItem<string>> events, CancellationToken cancellation)
    {
        var lastStep = DateTimeOffset.MinValue;
        var grain = grains.GetGrain<IJobGrain>(jobId);
        try
        {
            await foreach (var jobEvent in grain.Watch(cancellation))
            {
                if (jobEvent.EventCase == JobEvent.EventOneofCase.History)
                {
                    // Curves for a job page; the table shows progress, which the snapshot already has.
                    continue;
                }
                if (jobEvent.EventCase == JobEvent.EventOneofCase.Step)
                {
                    var now = DateTimeOffset.UtcNow;
                    if (now - lastStep < StepInterval)
                    {
                        continue;
                    }
                    lastStep = now;
                }
                events.TryWrite(new SseItem<string>(DashboardJson.Tagged("jobId", jobId, jobEvent), "job"));
                if (ChangesTheJob(jobEvent) && await grain.Get() is { } job)
                {
                    var snapshot = new JobEvent { UnixMs = jobEvent.UnixMs, Snapshot = job };
                    events.TryWrite(new SseItem<string>(DashboardJson.Tagged("jobId", jobId, snapshot), "job"));
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The page went away.
        }
        catch (Exception failure)
        {
            // One job's watch failing (its grain deactivated with the silo) ends that job's updates, not the page's stream.
            events.TryWrite(new SseItem<string>(DashboardJson.Tagged("jobId", jobId, new JobEvent { Message = $"The dashboard stopped following job {jobId}: {failure.GetType().Name}." }), "job"));
        }
    }
}
