using System.Globalization;
using System.Text.Json;
using Google.Protobuf.Reflection;
using ProtoValue = Google.Protobuf.WellKnownTypes.Value;

namespace DistributedTrainer.Jobs.Internal;

/// <summary>
/// Walks a JSON document against a message descriptor before Google.Protobuf's JsonParser sees it, so that every
/// unknown field, wrongly typed value, doubly set field and conflicting oneof member is reported with its exact path
/// (<c>model.layers[1].dense.unit</c>) instead of the parser's first complaint without one. It accepts what the
/// proto3 JSON mapping accepts (both lowerCamelCase and snake_case names, numbers as strings, enum names or numbers,
/// "NaN"/"Infinity" for floats, null for "unset") and nothing the parser would refuse.
/// </summary>
internal static class JsonFieldChecker
{
    // Above 2^53 a JSON number (parsed as a double) no longer holds every integer.
    private const double LargestExactInteger = 9007199254740992;

    /// <summary>Every problem found in <paramref name="root"/> read as a <paramref name="descriptor"/> message.</summary>
    public static IReadOnlyList<ValidationError> Check(JsonElement root, MessageDescriptor descriptor)
    {
        var errors = new List<ValidationError>();
        CheckMessage(root, descriptor, "", errors);
        return errors;
    }

    private static void CheckMessage(JsonElement value, MessageDescriptor descriptor, string path, List<ValidationError> errors)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(path, $"expected an object ({descriptor.Name}), got {Describe(value)}"));
            return;
        }

        var byName = new Dictionary<string, FieldDescriptor>();
        foreach (var field in descriptor.Fields.InDeclarationOrder())
        {
            byName[field.Name] = field;
            byName[field.JsonName] = field;
        }

        var written = new Dictionary<FieldDescriptor, string>();
        var oneofMembers = new Dictionary<OneofDescriptor, FieldDescriptor>();
        foreach (var property in value.EnumerateObject())
        {
            if (!byName.TryGetValue(property.Name, out var field))
            {
                errors.Add(new(Join(path, property.Name), UnknownField(property.Name, descriptor)));
                continue;
            }

            var fieldPath = Join(path, field.Name);
            if (!written.TryAdd(field, property.Name))
            {
                errors.Add(new(fieldPath, $"set twice (as \"{written[field]}\" and \"{property.Name}\")"));
                continue;
            }

            // JsonParser counts a null oneof member as set too.
            if (field.RealContainingOneof is { } oneof && !oneofMembers.TryAdd(oneof, field))
            {
                var members = string.Join(", ", oneof.Fields.Select(member => member.Name));
                errors.Add(new(path, $"sets both {oneofMembers[oneof].Name} and {field.Name}; set only one of {members}"));
                continue;
            }

            if (property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (field.IsRepeated)
            {
                CheckList(property.Value, field, fieldPath, errors);
            }
            else
            {
                CheckValue(property.Value, field, fieldPath, errors);
            }
        }
    }

    private static void CheckList(JsonElement value, FieldDescriptor field, string path, List<ValidationError> errors)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new(path, $"expected a list, got {Describe(value)}"));
            return;
        }

        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var itemPath = $"{path}[{index++}]";
            if (item.ValueKind == JsonValueKind.Null)
            {
                errors.Add(new(itemPath, "list items cannot be null"));
            }
            else
            {
                CheckValue(item, field, itemPath, errors);
            }
        }
    }

    private static void CheckValue(JsonElement value, FieldDescriptor field, string path, List<ValidationError> errors)
    {
        if (field.FieldType is FieldType.Message && field.MessageType.FullName == ProtoValue.Descriptor.FullName)
        {
            // google.protobuf.Value (a sweep's choice values) maps to any JSON value.
            return;
        }

        if (field.FieldType is FieldType.Message or FieldType.Group)
        {
            CheckMessage(value, field.MessageType, path, errors);
            return;
        }

        var problem = field.FieldType switch
        {
            FieldType.Bool => value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : $"expected true or false, got {Describe(value)}",
            FieldType.String or FieldType.Bytes => value.ValueKind == JsonValueKind.String ? null : $"expected a string, got {Describe(value)}",
            FieldType.Enum => EnumProblem(value, field.EnumType),
            FieldType.Float => FloatProblem(value, float.MaxValue, "float"),
            FieldType.Double => FloatProblem(value, double.MaxValue, "double"),
            FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => IntegerProblem(value, int.MinValue, int.MaxValue, "int32"),
            FieldType.UInt32 or FieldType.Fixed32 => IntegerProblem(value, 0, uint.MaxValue, "uint32"),
            FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => IntegerProblem(value, long.MinValue, long.MaxValue, "int64"),
            _ => IntegerProblem(value, 0, ulong.MaxValue, "uint64"),
        };
        if (problem is not null)
        {
            errors.Add(new(path, problem));
        }
    }

    private static string? EnumProblem(JsonElement value, EnumDescriptor type)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            return IntegerProblem(value, int.MinValue, int.MaxValue, "enum number");
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            return $"expected one of {Names(type)}, got {Describe(value)}";
        }

        var name = value.GetString()!;
        if (type.FindValueByName(name) is not null)
        {
            return null;
        }

        var closest = ClosestName.Find(name, type.Values.Select(v => v.Name));
        return closest is null
            ? $"unknown value \"{name}\" (expected one of {Names(type)})"
            : $"unknown value \"{name}\" (did you mean \"{closest}\"?)";
    }

    private static string? FloatProblem(JsonElement value, double largest, string typeName)
    {
        double number;
        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString()!;
            if (text is "NaN" or "Infinity" or "-Infinity")
            {
                return null;
            }

            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number))
            {
                return $"expected a number, got {Describe(value)}";
            }
        }
        else if (value.ValueKind != JsonValueKind.Number)
        {
            return $"expected a number, got {Describe(value)}";
        }
        else
        {
            number = value.GetDouble();
        }

        return Math.Abs(number) <= largest ? null : $"{Describe(value)} is out of range for {typeName}";
    }

    private static string? IntegerProblem(JsonElement value, decimal smallest, decimal largest, string typeName)
    {
        decimal number;
        if (value.ValueKind == JsonValueKind.String)
        {
            if (!decimal.TryParse(value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number))
            {
                return $"expected an integer, got {Describe(value)}";
            }
        }
        else if (value.ValueKind != JsonValueKind.Number)
        {
            return $"expected an integer, got {Describe(value)}";
        }
        else
        {
            var asDouble = value.GetDouble();
            if (Math.Abs(asDouble) > LargestExactInteger)
            {
                return $"{Describe(value)} is too large to be exact as a JSON number; write it as a string (\"{value.GetRawText()}\")";
            }

            if (asDouble != Math.Floor(asDouble))
            {
                return $"expected an integer, got {Describe(value)}";
            }

            number = (decimal)asDouble;
        }

        return number >= smallest && number <= largest ? null : $"{Describe(value)} is out of range for {typeName}";
    }

    private static string UnknownField(string name, MessageDescriptor descriptor)
    {
        var candidates = descriptor.Fields.InDeclarationOrder().SelectMany(f => new[] { f.Name, f.JsonName });
        var closest = ClosestName.Find(name, candidates);
        return closest is null
            ? $"unknown field ({descriptor.Name} has {string.Join(", ", descriptor.Fields.InDeclarationOrder().Select(f => f.Name))})"
            : $"unknown field (did you mean \"{closest}\"?)";
    }

    // Value 0 is the proto3 "unspecified" placeholder, not a choice to offer.
    private static string Names(EnumDescriptor type) => string.Join(", ", type.Values.Skip(1).Select(v => v.Name));

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => $"\"{value.GetString()}\"",
        _ => value.GetRawText(),
    };

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
