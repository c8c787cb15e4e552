using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using DistributedTrainer.Checkpoints;
using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Coordinator.Jobs;
using DistributedTrainer.Coordinator.Sweeps;
using DistributedTrainer.Protos.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DistributedTrainer.Coordinator.Dashboard;

/// <summary>
/// The dashboard's routes, answered on its own port only: the page and its assets at <c>/</c>, and under <c>/api</c>
/// (bearer token required) the jobs, one job's events, cancel, checkpoints, step waterfalls, workers and sweeps. Every
/// answer comes from the job and sweep grains, the worker registry or the span files: the sources the gRPC APIs and
/// <c>trainctl trace</c> read.
/// </summary>
internal static class DashboardEndpoints
{
    /// <summary>Maps the dashboard on <paramref name="app"/> (whose <see cref="DashboardListener"/> is enabled).</summary>
    public static void MapDashboard(this WebApplication app, string? token, string telemetryDirectory)
    {
        var listener = app.Services.GetRequiredService<DashboardListener>();
        RouteGroupBuilder site = app.MapGroup("").AddEndpointFilter(async (invocation, next) =>
            invocation.HttpContext.Connection.LocalPort == listener.Port ? await next(invocation) : Results.NotFound());
        site.MapGet("/", () => DashboardAssets.Serve("index.html"));
        site.MapGet("/assets/{name}", (string name) => DashboardAssets.Serve(name));

        RouteGroupBuilder api = site.MapGroup("/api").AddEndpointFilter(DashboardAccess.RequireToken(token));
        api.MapGet("/jobs", async (JobIndex index) => Json(await JobList(index)));
        api.MapGet("/jobs/stream", (HttpContext context, JobsFeed feed) => EventStream.WriteAsync(context, feed.StreamAsync(context.RequestAborted)));
        api.MapGet("/jobs/{jobId}/events", WatchJobAsync);
        api.MapPost("/jobs/{jobId}/cancel", async (string jobId, IGrainFactory grains) =>
            JobIds.IsWellFormed(jobId) && await grains.GetGrain<IJobGrain>(jobId).Cancel() is { } job ? Json(job) : JobNotFound(jobId));
        api.MapGet("/jobs/{jobId}/checkpoints", (string jobId, CoordinatorPaths paths) => JobIds.IsWellFormed(jobId)
            ? Results.Json(new { checkpoints = new CheckpointStore(paths.CheckpointDirectory(jobId)).List().Select(Path.GetFileName) })
            : JobNotFound(jobId));
        api.MapGet("/jobs/{jobId}/checkpoints/{checkpoint}", DownloadCheckpoint);
        api.MapGet("/jobs/{jobId}/steps", (string jobId) => TraceAnswer(() => Results.Json(new { steps = StepWaterfall.Steps(telemetryDirectory, jobId) })));
        api.MapGet("/jobs/{jobId}/steps/{step:long}", (string jobId, long step) => TraceAnswer(() =>
            StepWaterfall.Find(telemetryDirectory, jobId, step) is { } waterfall
                ? Results.Json(waterfall)
                : Problem(StatusCodes.Status404NotFound, $"No trace of job {jobId} step {step} in {telemetryDirectory} (spans reach the files in batches; a step just run may not be there yet).")));
        api.MapGet("/workers", (WorkersFeed feed) => Results.Text(feed.Snapshot(), "application/json"));
        api.MapGet("/workers/stream", (HttpContext context, WorkersFeed feed) => EventStream.WriteAsync(context, feed.StreamAsync(context.RequestAborted)));
        api.MapGet("/sweeps", async (SweepIndex index) =>
        {
            var list = new ListSweepsResponse();
            list.Sweeps.AddRange(await index.ListAsync());
            return Json(list);
        });
        api.MapGet("/sweeps/{sweepId}/events", WatchSweepAsync);
    }

    /// <summary>Adds what the dashboard's routes use (call before the host is built).</summary>
    public static IServiceCollection AddDashboard(this IServiceCollection services, DashboardListener listener) => services
        .AddSingleton(listener)
        .AddSingleton<WorkerRates>()
        .AddSingleton<WorkersFeed>()
        .AddSingleton<JobsFeed>();

    private static async Task WatchJobAsync(HttpContext context, string jobId, IGrainFactory grains)
    {
        var grain = JobIds.IsWellFormed(jobId) ? grains.GetGrain<IJobGrain>(jobId) : null;
        if (grain is null || await grain.Get() is null)
        {
            await JobNotFound(jobId).ExecuteAsync(context);
            return;
        }
        await EventStream.WriteAsync(context, JobItems(grain, context.RequestAborted));
    }

    // The watch's events as they are ("job"), and after each state change or notable event the job as it is then
    // ("snapshot"): the watch carries no event for a change of the job's workers, which its snapshot shows.
    private static async IAsyncEnumerable<SseItem<string>> JobItems(IJobGrain grain, [EnumeratorCancellation] CancellationToken cancellation)
    {
        await foreach (var jobEvent in grain.Watch(cancellation))
        {
            yield return new SseItem<string>(DashboardJson.Format(jobEvent), "job");
            if (JobsFeed.ChangesTheJob(jobEvent) && await grain.Get() is { } job)
            {
                yield return new SseItem<string>(DashboardJson.Format(job), "snapshot");
            }
        }
    }

    private static async Task WatchSweepAsync(HttpContext context, string sweepId, IGrainFactory grains)
    {
        var grain = SweepIds.IsWellFormed(sweepId) ? grains.GetGrain<ISweepGrain>(sweepId) : null;
        if (grain is null || await grain.Get() is null)
        {
            await Problem(StatusCodes.Status404NotFound, $"Sweep {sweepId} not found.").ExecuteAsync(context);
            return;
        }
        await EventStream.WriteAsync(context, Items(grain.Watch(context.RequestAborted), "sweep", context.RequestAborted));
    }

    private static async Task<IResult> DownloadCheckpoint(string jobId, string checkpoint, CoordinatorPaths paths)
    {
        if (!JobIds.IsWellFormed(jobId))
        {
            return JobNotFound(jobId);
        }
        try
        {
            var download = await Task.Run(() => CheckpointDownload.Read(paths.CheckpointDirectory(jobId), checkpoint, ""));
            return Results.File(download.Content, "application/x-tar", $"{jobId}-{download.Checkpoint}.tar");
        }
        catch (FileNotFoundException missing)
        {
            return Problem(StatusCodes.Status404NotFound, $"Job {jobId}: {missing.Message}");
        }
    }

    private static async IAsyncEnumerable<SseItem<string>> Items<T>(IAsyncEnumerable<T> events, string kind,
        [EnumeratorCancellation] CancellationToken cancellation)
        where T : Google.Protobuf.IMessage
    {
        await foreach (var next in events.WithCancellation(cancellation))
        {
            yield return new SseItem<string>(DashboardJson.Format(next), kind);
        }
    }

    private static async Task<ListJobsResponse> JobList(JobIndex index)
    {
        var list = new ListJobsResponse();
        list.Jobs.AddRange(await index.ListAsync());
        return list;
    }

    private static IResult TraceAnswer(Func<IResult> answer)
    {
        try
        {
            return answer();
        }
        catch (FormatException bad)
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, bad.Message);
        }
    }

    private static IResult Json(Google.Protobuf.IMessage message) => Results.Text(DashboardJson.Format(message), "application/json");

    private static IResult JobNotFound(string jobId) => Problem(StatusCodes.Status404NotFound, $"Job {jobId} not found.");

    private static IResult Problem(int status, string message) => Results.Json(new { error = message }, statusCode: status);
}
