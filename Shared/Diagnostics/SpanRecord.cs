using System.Text.Json;

namespace DistributedTrainer.Diagnostics;

/// <summary>
/// One finished span as a line of a <c>*.traces.jsonl</c> file: the format the Telemetry project's exporter
/// writes and <c>trainctl trace</c> reads. Ids are lower-case hex (trace 32 digits, span 16); times are Unix
/// nanoseconds. Attribute values are strings, integers (long), doubles, booleans or arrays of those.
/// </summary>
/// <param name="TraceId">The trace id.</param>
/// <param name="SpanId">The span id.</param>
/// <param name="ParentSpanId">The parent's span id; null for a root span.</param>
/// <param name="Name">The span name.</param>
/// <param name="Kind">Internal, Server, Client, Producer or Consumer.</param>
/// <param name="Service">The service (process) that recorded the span.</param>
/// <param name="StartUnixNano">Start time, nanoseconds since 1970-01-01 UTC.</param>
/// <param name="DurationNano">Duration in nanoseconds.</param>
/// <param name="Status">Unset, Ok or Error.</param>
/// <param name="StatusDescription">The error description, if any.</param>
/// <param name="Attributes">The attributes, in the order they were set.</param>
/// <param name="Events">The span events.</param>
public sealed record SpanRecord(string TraceId, string SpanId, string? ParentSpanId, string Name, string Kind, string Service,
    long StartUnixNano, long DurationNano, string Status, string? StatusDescription,
    IReadOnlyList<KeyValuePair<string, object?>> Attributes, IReadOnlyList<SpanEventRecord> Events)
{
    /// <summary>The value of attribute <paramref name="key"/>, or null.</summary>
    public object? Attribute(string key)
    {
        foreach (KeyValuePair<string, object?> attribute in Attributes)
        {
            if (attribute.Key == key)
            {
                return attribute.Value;
            }
        }

        return null;
    }

    /// <summary>Writes the span as one JSON object (the caller ends the line).</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("traceId", TraceId);
        writer.WriteString("spanId", SpanId);
        if (ParentSpanId is null)
        {
            writer.WriteNull("parentSpanId");
        }
        else
        {
            writer.WriteString("parentSpanId", ParentSpanId);
        }

        writer.WriteString("name", Name);
        writer.WriteString("kind", Kind);
        writer.WriteString("service", Service);
        writer.WriteNumber("startUnixNano", StartUnixNano);
        writer.WriteNumber("durationNano", DurationNano);
        writer.WriteString("status", Status);
        if (StatusDescription is not null)
        {
            writer.WriteString("statusDescription", StatusDescription);
        }

        writer.WritePropertyName("attributes");
        AttributeJson.WriteObject(writer, Attributes);
        writer.WriteStartArray("events");
        foreach (SpanEventRecord e in Events)
        {
            writer.WriteStartObject();
            writer.WriteString("name", e.Name);
            writer.WriteNumber("timeUnixNano", e.TimeUnixNano);
            writer.WritePropertyName("attributes");
            AttributeJson.WriteObject(writer, e.Attributes);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Parses one line written by <see cref="WriteTo"/>.</summary>
    /// <exception cref="FormatException">The line is not JSON or a field is missing or of the wrong type; the message names it.</exception>
    public static SpanRecord Parse(string line)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new FormatException($"Invalid span line: not JSON ({e.Message})", e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"Invalid span line: a JSON {root.ValueKind}, expected an object");
            }

            var events = new List<SpanEventRecord>();
            if (root.TryGetProperty("events", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement e in list.EnumerateArray())
                {
                    events.Add(new SpanEventRecord(String(e, "name"), Int64(e, "timeUnixNano"), ReadAttributes(e)));
                }
            }

            return new SpanRecord(
                String(root, "traceId"),
                String(root, "spanId"),
                root.TryGetProperty("parentSpanId", out JsonElement parent) && parent.ValueKind == JsonValueKind.String ? parent.GetString() : null,
                String(root, "name"),
                String(root, "kind"),
                String(root, "service"),
                Int64(root, "startUnixNano"),
                Int64(root, "durationNano"),
                String(root, "status"),
                root.TryGetProperty("statusDescription", out JsonElement description) ? description.GetString() : null,
                ReadAttributes(root),
                events);
        }
    }

    private static string String(JsonElement element, string field) =>
        element.TryGetProperty(field, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"Invalid span line: field '{field}' is missing or not a string");

    private static long Int64(JsonElement element, string field) =>
        element.TryGetProperty(field, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number)
            ? number
            : throw new FormatException($"Invalid span line: field '{field}' is missing or not an integer");

    private static List<KeyValuePair<string, object?>> ReadAttributes(JsonElement element)
    {
        var attributes = new List<KeyValuePair<string, object?>>();
        if (!element.TryGetProperty("attributes", out JsonElement map))
        {
            return attributes;
        }

        if (map.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"Invalid span line: field 'attributes' is a JSON {map.ValueKind}, expected an object");
        }

        foreach (JsonProperty property in map.EnumerateObject())
        {
            attributes.Add(new(property.Name, AttributeJson.Read(property.Value)));
        }

        return attributes;
    }
}
