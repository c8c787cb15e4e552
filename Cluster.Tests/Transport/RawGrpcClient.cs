using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace DistributedTrainer.Tests.Transport;

/// <summary>Sends hand-made gRPC requests (any bytes as the body) over HTTP/2 cleartext, to test what a server does with them.</summary>
internal sealed class RawGrpcClient : IDisposable
{
    private readonly HttpClient _client;

    public RawGrpcClient(Uri address)
    {
        var handler = new SocketsHttpHandler { UseProxy = false, EnableMultipleHttp2Connections = true };
        _client = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(20) };
    }

    /// <summary>A gRPC frame: flag, big-endian length (as given, which may lie), then the bytes.</summary>
    public static byte[] Frame(byte[] payload, byte flag = 0, uint? length = null)
    {
        byte[] frame = new byte[5 + payload.Length];
        frame[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), length ?? (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    public async Task<RawResponse> PostAsync(string path, byte[] body, string contentType = "application/grpc", params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        foreach ((string name, string value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using HttpResponseMessage response = await _client.SendAsync(request);
        byte[] content = await response.Content.ReadAsByteArrayAsync();
        return new RawResponse(
            response.StatusCode,
            content,
            Header(response.Headers, "grpc-status"),
            Header(response.TrailingHeaders, "grpc-status"),
            Header(response.Headers, "grpc-accept-encoding"));
    }

    public void Dispose() => _client.Dispose();

    private static string? Header(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out IEnumerable<string>? values) ? values.First() : null;

    /// <summary>What came back: the status from the trailers, or from the headers of a trailers-only response.</summary>
    public sealed record RawResponse(HttpStatusCode HttpStatus, byte[] Body, string? HeaderStatus, string? TrailerStatus, string? AcceptEncoding)
    {
        public int? GrpcStatus => (HeaderStatus ?? TrailerStatus) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : null;

        public bool IsTrailersOnly => HeaderStatus is not null && Body.Length == 0;
    }
}
