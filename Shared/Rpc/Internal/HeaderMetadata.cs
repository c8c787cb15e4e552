using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;

namespace DistributedTrainer.Rpc.Internal;

/// <summary>Converts <see cref="Metadata"/> to HTTP/2 headers and back; <c>-bin</c> values travel as base64.</summary>
internal static class HeaderMetadata
{
    /// <summary>The metadata of a server request, leaving out what the protocol reserves.</summary>
    public static Metadata FromRequest(IHeaderDictionary headers)
    {
        var metadata = new Metadata();
        foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> header in headers)
        {
            foreach (string? value in header.Value)
            {
                AddReceived(metadata, header.Key, value);
            }
        }

        return metadata;
    }

    /// <summary>The metadata of client response headers or trailers, leaving out what the protocol reserves.</summary>
    public static Metadata FromResponse(HttpHeaders headers)
    {
        var metadata = new Metadata();
        foreach (KeyValuePair<string, IEnumerable<string>> header in headers)
        {
            foreach (string value in header.Value)
            {
                AddReceived(metadata, header.Key, value);
            }
        }

        return metadata;
    }

    public static void AddTo(IHeaderDictionary headers, Metadata metadata)
    {
        foreach (Metadata.Entry entry in metadata)
        {
            headers.Append(entry.Key, ToWire(entry));
        }
    }

    public static void AddToTrailers(HttpResponse response, Metadata metadata)
    {
        foreach (Metadata.Entry entry in metadata)
        {
            response.AppendTrailer(entry.Key, ToWire(entry));
        }
    }

    public static void AddTo(HttpRequestHeaders headers, Metadata metadata)
    {
        foreach (Metadata.Entry entry in metadata)
        {
            headers.TryAddWithoutValidation(entry.Key, ToWire(entry));
        }
    }

    private static string ToWire(Metadata.Entry entry) =>
        entry.ValueBytes is { } bytes ? Convert.ToBase64String(bytes).TrimEnd('=') : entry.Value!;

    private static void AddReceived(Metadata metadata, string key, string? value)
    {
        if (value is null || Metadata.IsReserved(key))
        {
            return;
        }

        string normalized = key.ToLowerInvariant();
        if (!normalized.EndsWith(Metadata.BinarySuffix, StringComparison.Ordinal))
        {
            metadata.AddReceived(normalized, value, null);
            return;
        }

        // Several binary values may arrive joined by commas; each is base64, padded or not.
        foreach (string part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string padded = part.PadRight(part.Length + ((4 - (part.Length % 4)) % 4), '=');
            byte[]? bytes = null;
            try
            {
                bytes = Convert.FromBase64String(padded);
            }
            catch (FormatException)
            {
                // A value that is not base64 is not metadata this side can represent; it is dropped.
            }

            if (bytes is not null)
            {
                metadata.AddReceived(normalized, null, bytes);
            }
        }
    }
}
