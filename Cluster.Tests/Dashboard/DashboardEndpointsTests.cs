using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DistributedTrainer.Coordinator;
using DistributedTrainer.Coordinator.Dashboard;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Coordinator;
using Xunit;

namespace DistributedTrainer.Tests.Dashboard;

/// <summary>The dashboard's HTTP side against a real coordinator with a client token: the page, the token check, the JSON and the event streams.</summary>
public sealed class DashboardEndpointsTests : IAsyncLifetime, IDisposable
{
    private const string Token = "dashboard-secret";
    private TestCoordinator _coordinator = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _coordinator = await TestCoordinator.StartAsync(options => options with { ClientToken = Token, DashboardPort = 0 });
        _http = new HttpClient { BaseAddress = _coordinator.Server.DashboardAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync() => await _coordinator.DisposeAsync();

    public void Dispose() => _http.Dispose();

    [Fact]
    public void StartAsync_DashboardPort_ServesOnItsOwnPort()
    {
        Assert.NotEqual(_coordinator.Server.Address.Port, _coordinator.Server.DashboardAddress!.Port);
    }

    [Fact]
    public async Task Root_WithoutToken_ServesThePage()
    {
        using var response = await _http.GetAsync(new Uri("/", UriKind.Relative));

        Assert.Equal((HttpStatusCode.OK, "text/html"), (response.StatusCode, response.Content.Headers.ContentType?.MediaType));
        Assert.Contains("/assets/app.js", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("app.js", "text/javascript")]
    [InlineData("charts.js", "text/javascript")]
    [InlineData("style.css", "text/css")]
    public async Task Assets_EachEmbeddedFile_IsServedWithItsType(string name, string mediaType)
    {
        using var response = await _http.GetAsync(new Uri($"/assets/{name}", UriKind.Relative));

        Assert.Equal((HttpStatusCode.OK, mediaType), (response.StatusCode, response.Content.Headers.ContentType?.MediaType));
    }

    [Fact]
    public async Task Assets_UnknownName_Is404()
    {
        using var response = await _http.GetAsync(new Uri("/assets/secrets.json", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Api_WithoutToken_Is401()
    {
        using var response = await _http.GetAsync(new Uri("/api/jobs", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Api_WrongToken_Is401WithoutData()
    {
        using var response = await Send(HttpMethod.Get, "/api/workers", "not-the-token");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("workers", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_OnTheGrpcPort_IsNotServed()
    {
        using var h2c = new HttpClient(new SocketsHttpHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_coordinator.Server.Address, "/api/jobs"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);

        using var response = await h2c.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Jobs_SubmittedJob_IsListed()
    {
        string jobId = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 1));

        using var response = await Send(HttpMethod.Get, "/api/jobs");
        using var list = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Contains(list.RootElement.GetProperty("jobs").EnumerateArray(), job => job.GetProperty("jobId").GetString() == jobId);
    }

    [Fact]
    public async Task JobEvents_SubmittedJob_StreamsTheSnapshotAsAServerSentEvent()
    {
        string jobId = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 1));

        using var response = await Send(HttpMethod.Get, $"/api/jobs/{jobId}/events", stream: true);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string?[] frame = [await reader.ReadLineAsync(), await reader.ReadLineAsync(), await reader.ReadLineAsync()];

        Assert.Equal(EventStream.ContentType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("event: job", frame[0]);
        using var data = JsonDocument.Parse(frame[1]!["data: ".Length..]);
        Assert.Equal(jobId, data.RootElement.GetProperty("snapshot").GetProperty("jobId").GetString());
        Assert.Equal("", frame[2]);
    }

    [Fact]
    public async Task JobEvents_UnknownJob_Is404()
    {
        using var response = await Send(HttpMethod.Get, "/api/jobs/j-000000000000/events");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task JobsStream_FirstEvent_IsTheJobList()
    {
        using var response = await Send(HttpMethod.Get, "/api/jobs/stream", stream: true);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string? kind = await reader.ReadLineAsync();
        string? data = await reader.ReadLineAsync();

        Assert.Equal("event: jobs", kind);
        using var list = JsonDocument.Parse(data!["data: ".Length..]);
        Assert.Equal(JsonValueKind.Array, list.RootElement.GetProperty("jobs").ValueKind);
    }

    [Fact]
    public async Task JobsStream_JobSubmittedAfterItOpened_StreamsItsEvents()
    {
        using var response = await Send(HttpMethod.Get, "/api/jobs/stream", stream: true);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await reader.ReadLineAsync();

        string jobId = await _coordinator.SubmitAsync(TestJobs.Spec(_coordinator.Directory, epochs: 1));

        string? line;
        do
        {
            line = await reader.ReadLineAsync();
        }
        while (line is not null && !line.Contains(jobId, StringComparison.Ordinal));
        Assert.NotNull(line);
    }

    [Fact]
    public async Task Cancel_QueuedJob_EndsItCancelled()
    {
        // No worker is registered: the job waits, and a cancel ends it at once.
        var spec = TestJobs.Spec(_coordinator.Directory, epochs: 1);
        spec.MinWorkers = 1;
        string jobId = await _coordinator.SubmitAsync(spec);

        using var response = await Send(HttpMethod.Post, $"/api/jobs/{jobId}/cancel");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JobState.Cancelled, (await _coordinator.GetAsync(jobId)).State);
    }

    [Fact]
    public async Task Cancel_UnknownJob_Is404()
    {
        using var response = await Send(HttpMethod.Post, "/api/jobs/j-000000000000/cancel");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Workers_RegisteredWorker_IsListedFree()
    {
        string workerId = await _coordinator.RegisterWorkerAsync("http://127.0.0.1:9");

        using var response = await Send(HttpMethod.Get, "/api/workers");
        using var table = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        var worker = Assert.Single(table.RootElement.GetProperty("workers").EnumerateArray());
        Assert.Equal((workerId, JsonValueKind.Null), (worker.GetProperty("id").GetString(), worker.GetProperty("jobId").ValueKind));
    }

    [Fact]
    public async Task Steps_JobWithoutSpanFiles_IsAnEmptyList()
    {
        using var response = await Send(HttpMethod.Get, "/api/jobs/j-000000000000/steps");

        Assert.Equal("{\"steps\":[]}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Checkpoint_JobWithoutCheckpoint_Is404NamingTheJob()
    {
        using var response = await Send(HttpMethod.Get, "/api/jobs/j-000000000000/checkpoints/step-000000001");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("j-000000000000", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, string token = Token, bool stream = false)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _http.SendAsync(request, stream ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead);
    }
}
