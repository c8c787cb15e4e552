using System.Net;
using System.Threading.Channels;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace DistributedTrainer.Tests.Telemetry;

/// <summary>
/// A minimal OTLP/HTTP trace receiver on 127.0.0.1 (a free port): decodes each <c>POST /v1/traces</c>
/// protobuf body as an <see cref="ExportTraceServiceRequest"/> and answers with an empty response.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private const int MaxBodyBytes = 4 * 1024 * 1024;

    private readonly WebApplication _app;
    private readonly Channel<ExportTraceServiceRequest> _requests = Channel.CreateUnbounded<ExportTraceServiceRequest>();

    private OtlpReceiver(WebApplication app, Uri address)
    {
        _app = app;
        TracesEndpoint = new Uri(address, "/v1/traces");
    }

    /// <summary>The full URL to give the exporter (set in code, it is used as it is).</summary>
    public Uri TracesEndpoint { get; }

    public ChannelReader<ExportTraceServiceRequest> Requests => _requests.Reader;

    public static async Task<OtlpReceiver> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = MaxBodyBytes;
            kestrel.Listen(IPAddress.Loopback, 0);
        });
        WebApplication app = builder.Build();
        OtlpReceiver? receiver = null;
        app.Run(http => receiver!.HandleAsync(http));
        await app.StartAsync();
        string bound = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        receiver = new OtlpReceiver(app, new Uri(bound));
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext http)
    {
        if (!HttpMethods.IsPost(http.Request.Method) || http.Request.Path != "/v1/traces")
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        _requests.Writer.TryWrite(ExportTraceServiceRequest.Parser.ParseFrom(body.ToArray()));
        http.Response.ContentType = "application/x-protobuf";
        await http.Response.Body.WriteAsync(new ExportTraceServiceResponse().ToByteArray(), http.RequestAborted);
    }
}
