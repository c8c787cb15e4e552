using System.Globalization;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace DistributedTrainer.Sweeps;

/// <summary>
/// Turns a sweep's values (a number drawn from a range, or a choice as written) into the CLR value a job spec field
/// holds, refusing what the field cannot take: a fraction for an integer, a number beyond the type's range, an
/// unknown enum name, text for a number.
/// </summary>
public static class FieldValues
{
    /// <summary>Converts <paramref name="value"/> for <paramref name="field"/>; on failure <paramref name="problem"/> says why.</summary>
    public static bool TryConvert(FieldDescriptor field, Value value, out object? converted, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(value);
        (converted, problem) = (null, null);
        switch (value.KindCase)
        {
            case Value.KindOneofCase.NumberValue:
                return TryFromNumber(field, value.NumberValue, exact: true, out converted, out problem);
            case Value.KindOneofCase.BoolValue when field.FieldType == FieldType.Bool:
                converted = value.BoolValue;
                return true;
            case Value.KindOneofCase.StringValue when field.FieldType == FieldType.String:
                converted = value.StringValue;
                return true;
            case Value.KindOneofCase.StringValue when field.FieldType == FieldType.Enum:
                if (field.EnumType.FindValueByName(value.StringValue) is { } named)
                {
                    converted = System.Enum.ToObject(field.EnumType.ClrType, named.Number);
                    return true;
                }
                problem = $"\"{value.StringValue}\" is not a {field.EnumType.Name} (one of {string.Join(", ", field.EnumType.Values.Skip(1).Select(v => v.Name))})";
                return false;
            default:
                problem = $"{Describe(value)} is not a {TypeName(field)}";
                return false;
        }
    }

    /// <summary>
    /// Converts a number drawn from a range: rounded to the nearest integer for an integer field when
    /// <paramref name="exact"/> is false, refused when it is true and the number has a fraction.
    /// </summary>
    public static bool TryFromNumber(FieldDescriptor field, double number, bool exact, out object? converted, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(field);
        (converted, problem) = (null, null);
        string shown = number.ToString("R", CultureInfo.InvariantCulture);
        if (double.IsNaN(number) || double.IsInfinity(number))
        {
            problem = $"{shown} is not a finite number";
            return false;
        }
        double whole = Math.Round(number, MidpointRounding.AwayFromZero);
        if (IsInteger(field) && exact && whole != number)
        {
            problem = $"{shown} is not a whole number, as {field.Name} ({TypeName(field)}) needs";
            return false;
        }
        (double low, double high) = Range(field);
        double stored = IsInteger(field) ? whole : number;
        if (stored < low || stored > high)
        {
            problem = $"{shown} is out of range for {field.Name} ({TypeName(field)})";
            return false;
        }
        converted = field.FieldType switch
        {
            FieldType.Float => (float)number,
            FieldType.Double => number,
            FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => (int)whole,
            FieldType.UInt32 or FieldType.Fixed32 => (uint)whole,
            FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => (long)whole,
            FieldType.UInt64 or FieldType.Fixed64 => (ulong)whole,
            _ => null,
        };
        if (converted is null)
        {
            problem = $"{shown} is not a {TypeName(field)}";
            return false;
        }
        return true;
    }

    /// <summary>True for fields that hold numbers (ranges may be drawn for them).</summary>
    public static bool IsNumeric(FieldDescriptor field) => field.FieldType is FieldType.Float or FieldType.Double || IsInteger(field);

    /// <summary>True for integer fields.</summary>
    public static bool IsInteger(FieldDescriptor field) => field.FieldType is FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32
        or FieldType.UInt32 or FieldType.Fixed32 or FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 or FieldType.UInt64 or FieldType.Fixed64;

    /// <summary>A value as a user reads it: numbers in shortest round-trip form, strings bare, true/false.</summary>
    public static string Format(Value value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.KindCase switch
        {
            Value.KindOneofCase.NumberValue => value.NumberValue.ToString("R", CultureInfo.InvariantCulture),
            Value.KindOneofCase.StringValue => value.StringValue,
            Value.KindOneofCase.BoolValue => value.BoolValue ? "true" : "false",
            _ => value.ToString(),
        };
    }

    private static (double Low, double High) Range(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.Float => (float.MinValue, float.MaxValue),
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => (int.MinValue, int.MaxValue),
        FieldType.UInt32 or FieldType.Fixed32 => (0, uint.MaxValue),
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => (long.MinValue, long.MaxValue),
        FieldType.UInt64 or FieldType.Fixed64 => (0, ulong.MaxValue),
        _ => (double.MinValue, double.MaxValue),
    };

    private static string TypeName(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.Enum => field.EnumType.Name,
        FieldType.Bool => "bool (true or false)",
        _ => field.FieldType.ToString().ToLowerInvariant(),
    };

    private static string Describe(Value value) => value.KindCase switch
    {
        Value.KindOneofCase.StringValue => $"\"{value.StringValue}\"",
        Value.KindOneofCase.NullValue => "null",
        Value.KindOneofCase.ListValue => "a list",
        Value.KindOneofCase.StructValue => "an object",
        _ => Format(value),
    };
}
