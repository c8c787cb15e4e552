using System.Buffers;
using System.Net.ServerSentEvents;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace DistributedTrainer.Coordinator.Dashboard;

/// <summary>
/// Writes a server-sent event stream (<c>text/event-stream</c>, framed by <see cref="SseFormatter"/>): each item an
/// <c>event:</c> line naming its kind and one <c>data:</c> line of JSON, sent as it comes. The stream ends when the
/// items end, the browser goes away or the coordinator stops (the request's abort token fires then too).
/// </summary>
internal static class EventStream
{
    /// <summary>The media type of the stream.</summary>
    public const string ContentType = "text/event-stream";

    /// <summary>Streams <paramref name="items"/> (their data already JSON) as the response of <paramref name="context"/>.</summary>
    public static async Task WriteAsync(HttpContext context, IAsyncEnumerable<SseItem<string>> items)
    {
        HttpResponse response = context.Response;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-cache";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        try
        {
            await response.StartAsync(context.RequestAborted);
            await SseFormatter.WriteAsync(items, response.Body, (item, writer) => writer.Write(Encoding.UTF8.GetBytes(item.Data)),
                context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The browser left or the coordinator is stopping: the stream simply ends.
        }
    }
}
