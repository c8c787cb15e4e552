using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace DistributedTrainer.Diagnostics;

/// <summary>
/// Attribute values as JSON, the same for span attributes, event attributes and metric tags: strings,
/// integers, floating-point numbers and booleans as themselves, arrays as arrays, anything else as its
/// invariant-culture text. Non-finite doubles are written as strings (JSON has no NaN).
/// </summary>
internal static class AttributeJson
{
    public static void WriteObject(Utf8JsonWriter writer, IEnumerable<KeyValuePair<string, object?>> attributes)
    {
        writer.WriteStartObject();
        foreach (KeyValuePair<string, object?> attribute in attributes)
        {
            writer.WritePropertyName(attribute.Key);
            WriteValue(writer, attribute.Value);
        }

        writer.WriteEndObject();
    }

    public static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case long or int or short or sbyte or byte or ushort or uint:
                writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case double or float:
                double number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsFinite(number))
                {
                    writer.WriteNumberValue(number);
                }
                else
                {
                    writer.WriteStringValue(number.ToString(CultureInfo.InvariantCulture));
                }

                break;
            case IEnumerable items:
                writer.WriteStartArray();
                foreach (object? item in items)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>A value as <see cref="WriteValue"/> wrote it: string, long, double, bool, null or object?[].</summary>
    public static object? Read(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.TryGetInt64(out long integer) ? (object)integer : value.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => value.EnumerateArray().Select(Read).ToArray(),
        JsonValueKind.Null => null,
        _ => value.GetRawText(),
    };
}
