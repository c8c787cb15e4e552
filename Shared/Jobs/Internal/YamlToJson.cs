using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DistributedTrainer.Jobs.Internal;

/// <summary>
/// Turns a YAML document into the JSON it denotes, typing plain scalars by the YAML 1.2 core schema: null, true/false,
/// integers (decimal, 0x hex, 0o octal) and floats (with .inf and .nan, written as the proto3 JSON strings "Infinity"
/// and "NaN") become JSON literals; every other plain scalar, every quoted or block scalar, and any scalar tagged
/// <c>!!str</c> stays a string. YAML 1.1 words such as <c>yes</c> and <c>on</c> are strings, as in YAML 1.2.
/// </summary>
internal static partial class YamlToJson
{
    private const string StringTag = "tag:yaml.org,2002:str";

    /// <summary>The JSON text of the single document in <paramref name="yaml"/>.</summary>
    /// <exception cref="JobSpecException">The YAML is malformed (the error gives line and column), empty, or holds
    /// more than one document.</exception>
    public static string Convert(string yaml)
    {
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(yaml));
        try
        {
            stream.Load(new Parser(scanner));
        }
        catch (YamlException e)
        {
            throw Syntax(e.Start, ReasonOf(e));
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 16.3 fails this way on some unterminated flow collections ("{ units: 4" at the end of input);
            // where the scanner stopped is where the document broke.
            throw Syntax(scanner.CurrentPosition, "unexpected end of a flow collection (a missing '}' or ']'?)");
        }

        if (stream.Documents.Count == 0)
        {
            throw new JobSpecException([new ValidationError("", "the spec is empty")]);
        }

        if (stream.Documents.Count > 1)
        {
            throw Syntax(stream.Documents[1].RootNode.Start, "a spec file holds one YAML document, this one has more");
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, stream.Documents[0].RootNode);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter writer, YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                writer.WriteStartObject();
                foreach (var (key, value) in mapping.Children)
                {
                    if (key is not YamlScalarNode { Value: { } name })
                    {
                        throw Syntax(key.Start, "a mapping key must be a field name, not a list or mapping");
                    }

                    writer.WritePropertyName(name);
                    Write(writer, value);
                }

                writer.WriteEndObject();
                break;
            case YamlSequenceNode sequence:
                writer.WriteStartArray();
                foreach (var item in sequence.Children)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case YamlScalarNode scalar:
                WriteScalar(writer, scalar);
                break;
            default:
                throw Syntax(node.Start, $"unsupported YAML node {node.NodeType}");
        }
    }

    private static void WriteScalar(Utf8JsonWriter writer, YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain || (!scalar.Tag.IsEmpty && scalar.Tag.Value == StringTag))
        {
            writer.WriteStringValue(text);
        }
        else if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            writer.WriteNullValue();
        }
        else if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            writer.WriteBooleanValue(text[0] is 't' or 'T');
        }
        else if (DecimalInteger().IsMatch(text))
        {
            writer.WriteRawValue(BigInteger.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));
        }
        else if (text.StartsWith("0x", StringComparison.Ordinal) && HexDigits().IsMatch(text[2..]))
        {
            // A leading zero keeps BigInteger from reading the top bit as a sign.
            writer.WriteRawValue(BigInteger.Parse("0" + text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));
        }
        else if (text.StartsWith("0o", StringComparison.Ordinal) && OctalDigits().IsMatch(text[2..]))
        {
            writer.WriteRawValue(text[2..].Aggregate(BigInteger.Zero, (value, digit) => (value * 8) + (digit - '0')).ToString(CultureInfo.InvariantCulture));
        }
        else if (Float().IsMatch(text))
        {
            WriteFloat(writer, double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
        }
        else if (Infinity().IsMatch(text))
        {
            WriteFloat(writer, text[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity);
        }
        else if (text is ".nan" or ".NaN" or ".NAN")
        {
            WriteFloat(writer, double.NaN);
        }
        else
        {
            writer.WriteStringValue(text);
        }
    }

    // JSON has no literal for infinities and NaN; proto3 JSON spells them as these strings.
    private static void WriteFloat(Utf8JsonWriter writer, double value)
    {
        if (double.IsNaN(value))
        {
            writer.WriteStringValue("NaN");
        }
        else if (double.IsInfinity(value))
        {
            writer.WriteStringValue(value > 0 ? "Infinity" : "-Infinity");
        }
        else
        {
            writer.WriteNumberValue(value);
        }
    }

    // YamlException's message repeats the marks ("(Line: 3, Col: 5, Idx: 20) - (...): reason"); keep the reason.
    private static string ReasonOf(YamlException e)
    {
        var marksEnd = e.Message.IndexOf("): ", StringComparison.Ordinal);
        return marksEnd < 0 ? e.Message : e.Message[(marksEnd + 3)..];
    }

    private static JobSpecException Syntax(Mark at, string reason) =>
        new([new ValidationError("", $"line {at.Line}, column {at.Column}: {reason}")]);

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex DecimalInteger();

    [GeneratedRegex("^[0-9a-fA-F]+$")]
    private static partial Regex HexDigits();

    [GeneratedRegex("^[0-7]+$")]
    private static partial Regex OctalDigits();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();

    [GeneratedRegex(@"^[-+]?\.(inf|Inf|INF)$")]
    private static partial Regex Infinity();
}
