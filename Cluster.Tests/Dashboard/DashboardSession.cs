using DistributedTrainer.Coordinator;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Coordinator;
using DistributedTrainer.Transport;
using Grpc.Core;
using Microsoft.Playwright;
using JobsRpc = DistributedTrainer.Protos.V1.Jobs;
using SweepsRpc = DistributedTrainer.Protos.V1.Sweeps;

namespace DistributedTrainer.Tests.Dashboard;

/// <summary>
/// A coordinator with its dashboard (behind a client token) and workers in this process, and a headless Debian chromium
/// driven by Playwright on one page of it. Screenshots go to <see cref="Screenshots"/> in the test output directory.
/// </summary>
internal sealed class DashboardSession : IAsyncDisposable
{
    /// <summary>The coordinator's client token.</summary>
    public const string Token = "browser-secret";

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(60);

    private DashboardSession(InProcessCluster cluster, CoordinatorServer coordinator, IPlaywright playwright, IBrowser browser, IPage page)
    {
        Cluster = cluster;
        Coordinator = coordinator;
        Playwright = playwright;
        Browser = browser;
        Page = page;
    }

    /// <summary>Where the screenshots go: <c>dashboard-screenshots/</c> in the test output directory.</summary>
    public static string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "dashboard-screenshots");

    public InProcessCluster Cluster { get; }

    public CoordinatorServer Coordinator { get; }

    public IPlaywright Playwright { get; }

    public IBrowser Browser { get; }

    /// <summary>The browser's page (1400 x 1000).</summary>
    public IPage Page { get; }

    /// <summary>The dashboard's address.</summary>
    public Uri Dashboard => Coordinator.DashboardAddress!;

    /// <summary>Starts the cluster (<paramref name="workers"/> workers) and the browser; <paramref name="telemetryDirectory"/> is where the waterfall reads spans.</summary>
    public static async Task<DashboardSession> StartAsync(int workers = 2, string? telemetryDirectory = null)
    {
        var cluster = new InProcessCluster();
        try
        {
            var coordinator = await cluster.StartCoordinatorAsync(configure: options => options with
            {
                ClientToken = Token,
                DashboardPort = 0,
                TelemetryDirectory = telemetryDirectory,
            });
            await cluster.StartWorkersAsync(coordinator, workers);
            var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumFactAttribute.Executable,
                Args = ["--no-sandbox"],
                Headless = true,
            });
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
            page.SetDefaultTimeout(60_000);
            Directory.CreateDirectory(Screenshots);
            return new DashboardSession(cluster, coordinator, playwright, browser, page);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens the dashboard at <paramref name="route"/> (e.g. <c>#/jobs</c>) and signs in with <paramref name="token"/>.</summary>
    public async Task SignInAsync(string route = "#/jobs", string token = Token)
    {
        await Page.GotoAsync(new Uri(Dashboard, "/" + route).ToString());
        await Page.FillAsync("#token", token);
        await Page.ClickAsync("#login button[type=submit]");
    }

    /// <summary>Saves a screenshot of the whole page as <paramref name="name"/>.png in <see cref="Screenshots"/>.</summary>
    public Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });

    /// <summary>Submits <paramref name="spec"/> over the Jobs API with the client token.</summary>
    public async Task<string> SubmitAsync(JobSpec spec)
    {
        using var channel = GrpcChannels.Create(Coordinator.Address);
        return (await new JobsRpc.JobsClient(channel).SubmitJobAsync(new SubmitJobRequest { Spec = spec }, Call())).JobId;
    }

    public async Task<Job> GetAsync(string jobId)
    {
        using var channel = GrpcChannels.Create(Coordinator.Address);
        return await new JobsRpc.JobsClient(channel).GetJobAsync(new GetJobRequest { JobId = jobId }, Call());
    }

    public async Task CancelAsync(string jobId)
    {
        using var channel = GrpcChannels.Create(Coordinator.Address);
        await new JobsRpc.JobsClient(channel).CancelJobAsync(new CancelJobRequest { JobId = jobId }, Call());
    }

    /// <summary>Waits (up to two minutes) until the job is in <paramref name="state"/>; fails naming the state it is in.</summary>
    public async Task<Job> WaitForStateAsync(string jobId, JobState state)
    {
        var end = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            var job = await GetAsync(jobId);
            if (job.State == state)
            {
                return job;
            }
            if (DateTime.UtcNow > end)
            {
                throw new TimeoutException($"Job {jobId} is {job.State} ({job.Message}), not {state}, after two minutes");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Waits (up to two minutes) until the job has run past <paramref name="step"/>; returns the step it is at.</summary>
    public async Task<long> WaitForStepAsync(string jobId, long step)
    {
        var end = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            var job = await GetAsync(jobId);
            if (job.Progress.Step > step)
            {
                return job.Progress.Step;
            }
            if (DateTime.UtcNow > end)
            {
                throw new TimeoutException($"Job {jobId} is {job.State} at step {job.Progress.Step}, not past step {step}, after two minutes");
            }
            await Task.Delay(100);
        }
    }

    public async Task<string> SubmitSweepAsync(SweepSpec spec)
    {
        using var channel = GrpcChannels.Create(Coordinator.Address);
        return (await new SweepsRpc.SweepsClient(channel).SubmitSweepAsync(new SubmitSweepRequest { Spec = spec }, Call())).SweepId;
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await Cluster.DisposeAsync();
    }

    private static CallOptions Call() => new(BearerToken.Headers(Token), DateTime.UtcNow + CallTimeout);
}
