using System.Globalization;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Telemetry;
using DistributedTrainer.Tests.Coordinator;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace DistributedTrainer.Tests.Dashboard;

/// <summary>
/// The dashboard in a real browser (Debian's chromium, headless, driven by Playwright) against a coordinator and two
/// workers: each page shows live data (a job page opened mid-run its curves from the first step), cancel works from
/// the page, a wrong token is refused. Every test saves a
/// screenshot of its page in the test output directory (<see cref="DashboardSession.Screenshots"/>).
/// </summary>
public sealed class DashboardBrowserTests
{
    // Long enough to watch and cancel: thousands of small steps.
    private const int LongEpochs = 400;

    [ChromiumFact]
    public async Task JobsPage_SubmittedJob_AppearsRunningWithItsWorkers()
    {
        await using var session = await DashboardSession.StartAsync();
        await session.SignInAsync();
        string jobId = await session.SubmitAsync(LongJob(session));

        var row = session.Page.Locator($"tr[data-job='{jobId}']");
        await Expect(row).ToHaveAttributeAsync("data-state", "RUNNING");
        await Expect(row.Locator("td").Nth(6)).ToHaveTextAsync("2");
        await session.ScreenshotAsync("jobs");
    }

    [ChromiumFact]
    public async Task JobPage_RunningJob_LossCurveGainsPoints()
    {
        await using var session = await DashboardSession.StartAsync();
        string jobId = await session.SubmitAsync(LongJob(session));
        await session.WaitForStateAsync(jobId, JobState.Running);
        await session.SignInAsync($"#/jobs/{jobId}");

        var loss = session.Page.Locator("[data-chart='Loss']");
        await Expect(loss).Not.ToHaveAttributeAsync("data-points", "0");
        int first = await PointsAsync(loss);
        await session.Page.WaitForFunctionAsync(
            $"() => Number(document.querySelector(\"[data-chart='Loss']\").dataset.points) > {first + 5}", null,
            new PageWaitForFunctionOptions { Timeout = 120_000 });
        await session.ScreenshotAsync("job");
        Assert.True(await PointsAsync(loss) > first + 5);
    }

    [ChromiumFact]
    public async Task JobPage_OpenedMidRun_LossCurveStartsAtTheFirstStep()
    {
        await using var session = await DashboardSession.StartAsync();
        string jobId = await session.SubmitAsync(LongJob(session));
        long opened = await session.WaitForStepAsync(jobId, 50);

        await session.SignInAsync($"#/jobs/{jobId}");

        var loss = session.Page.Locator("[data-chart='Loss']");
        await Expect(loss).Not.ToHaveAttributeAsync("data-x-min", "");
        long first = long.Parse(await loss.GetAttributeAsync("data-x-min") ?? "", CultureInfo.InvariantCulture);
        await session.ScreenshotAsync("job-opened-mid-run");
        Assert.True(first == 1, $"the loss curve begins at step {first}; the page opened at step {opened}");
    }

    [ChromiumFact]
    public async Task JobsPage_CancelConfirmed_CancelsTheJob()
    {
        await using var session = await DashboardSession.StartAsync();
        await session.SignInAsync();
        string jobId = await session.SubmitAsync(LongJob(session));
        await Expect(session.Page.Locator($"tr[data-job='{jobId}']")).ToHaveAttributeAsync("data-state", "RUNNING");

        await session.Page.ClickAsync($"button[data-cancel='{jobId}']");
        await Expect(session.Page.Locator("#confirm")).ToBeVisibleAsync();
        await session.ScreenshotAsync("cancel-confirm");
        await session.Page.ClickAsync("#confirm-yes");

        await session.WaitForStateAsync(jobId, JobState.Cancelled);
        await Expect(session.Page.Locator($"tr[data-job='{jobId}']")).ToHaveAttributeAsync("data-state", "CANCELLED");
        await session.ScreenshotAsync("jobs-cancelled");
    }

    [ChromiumFact]
    public async Task JobsPage_RunningJobRedrawn_KeepsItsCancelButtonNode()
    {
        await using var session = await DashboardSession.StartAsync();
        await session.SignInAsync();
        string jobId = await session.SubmitAsync(LongJob(session));
        var row = session.Page.Locator($"tr[data-job='{jobId}']");
        await Expect(row).ToHaveAttributeAsync("data-state", "RUNNING");
        var button = await session.Page.WaitForSelectorAsync($"button[data-cancel='{jobId}']");
        string progress = await row.Locator("td").Nth(3).InnerTextAsync();

        // The row's progress changes many times a second; a button replaced on each redraw loses the click in progress.
        await session.Page.WaitForFunctionAsync(
            "([id, before]) => document.querySelector(`tr[data-job='${id}'] td:nth-child(4)`).innerText !== before",
            new[] { jobId, progress });

        Assert.True(await button!.EvaluateAsync<bool>("b => b.isConnected"), "the redraw replaced the Cancel button");
    }

    [ChromiumFact]
    public async Task SignIn_WrongToken_IsRefusedAndShowsNoJob()
    {
        await using var session = await DashboardSession.StartAsync(workers: 0);
        await session.SubmitAsync(TestJobs.Spec(session.Cluster.Directory, epochs: 1));

        await session.SignInAsync(token: "not-the-token");

        await Expect(session.Page.Locator("#login-error")).ToHaveTextAsync("The coordinator refused this token.");
        await Expect(session.Page.Locator("#jobs")).ToHaveCountAsync(0);
        await session.ScreenshotAsync("login-refused");
    }

    [ChromiumFact]
    public async Task StepPage_TracedStep_ShowsTheWorkersSpans()
    {
        string telemetry = Directory.CreateTempSubdirectory("dt-dashboard-spans-").FullName;
        try
        {
            await using var session = await DashboardSession.StartAsync(telemetryDirectory: telemetry);
            string jobId;
            // Spans of this process (coordinator and both workers) go to the span files the waterfall reads.
            using (TelemetrySetup.Start(new TelemetryOptions { ServiceName = "dashboard-test", FileDirectory = telemetry, SpanExportDelay = TimeSpan.FromMilliseconds(100) }))
            {
                var spec = TestJobs.Spec(session.Cluster.Directory, epochs: 2);
                spec.MinWorkers = 2;
                jobId = await session.SubmitAsync(spec);
                await session.WaitForStateAsync(jobId, JobState.Succeeded);
            }
            await session.SignInAsync($"#/jobs/{jobId}");
            await Expect(session.Page.Locator("#steps a[data-step='2']")).ToBeVisibleAsync();
            await session.ScreenshotAsync("job-finished");

            await session.Page.ClickAsync("#steps a[data-step='2']");

            await Expect(session.Page.Locator("#waterfall g[data-span='worker.compute']")).ToHaveCountAsync(2);
            var ranks = await session.Page.Locator("#waterfall g[data-span='worker.compute']").EvaluateAllAsync<string[]>("nodes => nodes.map(n => n.dataset.worker).sort()");
            Assert.Equal(["0", "1"], ranks);
            await session.ScreenshotAsync("step");
        }
        finally
        {
            Directory.Delete(telemetry, recursive: true);
        }
    }

    [ChromiumFact]
    public async Task WorkersPage_RunningJob_ListsBothWorkersLeasedWithTheirSpeed()
    {
        await using var session = await DashboardSession.StartAsync();
        string jobId = await session.SubmitAsync(LongJob(session));
        await session.WaitForStateAsync(jobId, JobState.Running);

        await session.SignInAsync("#/workers");

        var rows = session.Page.Locator("#workers tbody tr[data-worker]");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(session.Page.Locator($"#workers a[href='#/jobs/{jobId}']")).ToHaveCountAsync(2);
        await session.Page.WaitForFunctionAsync(
            "() => [...document.querySelectorAll('#workers tbody tr')].every(r => Number.isFinite(Number(r.children[4].textContent)))");
        // Each worker's step time: the median of its measured compute times, a positive number of milliseconds.
        await session.Page.WaitForFunctionAsync(
            "() => [...document.querySelectorAll('#workers tbody tr')].every(r => Number(r.querySelector('.step-ms')?.textContent) > 0)");
        await session.ScreenshotAsync("workers");
    }

    [ChromiumFact]
    public async Task SweepPage_RunningSweep_ShowsTrialsAndTheObjectivePlot()
    {
        await using var session = await DashboardSession.StartAsync();
        string sweepId = await session.SubmitSweepAsync(TestSweeps.Asha(session.Cluster.Directory, trials: 3, concurrent: 1, epochs: 3));
        await session.SignInAsync("#/sweeps");
        await Expect(session.Page.Locator($"#sweeps a[href='#/sweeps/{sweepId}']")).ToBeVisibleAsync();
        await session.ScreenshotAsync("sweeps");

        await session.Page.ClickAsync($"#sweeps a[href='#/sweeps/{sweepId}']");

        await Expect(session.Page.Locator("#trials tbody tr")).ToHaveCountAsync(3, new LocatorAssertionsToHaveCountOptions { Timeout = 120_000 });
        await Expect(session.Page.Locator("#objective circle")).ToHaveCountAsync(3, new LocatorAssertionsToHaveCountOptions { Timeout = 120_000 });
        await session.ScreenshotAsync("sweep");
    }

    [ChromiumFact]
    public async Task Charts_TenJobsOfFiveCurvesWithAThousandPoints_RedrawUnder100Ms()
    {
        await using var session = await DashboardSession.StartAsync(workers: 0);
        await session.SignInAsync("#/workers");
        await Expect(session.Page.Locator("#workers")).ToBeVisibleAsync();

        // 50 charts (10 job pages' worth), 1,000 points each, then one more point on every chart: the frame that redraws them all.
        double milliseconds = await session.Page.EvaluateAsync<double>("""
            async () => {
              const { LineChart } = await import('/assets/charts.js');
              const host = document.createElement('div');
              host.className = 'charts';
              document.getElementById('view').append(host);
              const charts = Array.from({ length: 50 }, (_, i) => new LineChart(host, `chart ${i}`, ['a', 'b']));
              for (const chart of charts) for (let x = 0; x < 1000; x++) chart.add(0, x, Math.sin(x / 50) + x / 1000);
              await new Promise(requestAnimationFrame);
              const start = performance.now();
              for (const chart of charts) { chart.add(0, 1000, 1); chart.draw(); }
              return performance.now() - start;
            }
            """);

        Assert.True(milliseconds < 100, string.Create(CultureInfo.InvariantCulture, $"redrawing 50 charts of 1,000 points took {milliseconds:F1} ms"));
    }

    private static JobSpec LongJob(DashboardSession session)
    {
        var spec = TestJobs.Spec(session.Cluster.Directory, epochs: LongEpochs);
        spec.MinWorkers = 2;
        // Four micro-shards per batch of 16: both workers compute (and are measured) every step.
        spec.MicroShardSize = 4;
        return spec;
    }

    private static async Task<int> PointsAsync(ILocator chart) =>
        int.Parse(await chart.GetAttributeAsync("data-points") ?? "0", CultureInfo.InvariantCulture);
}
