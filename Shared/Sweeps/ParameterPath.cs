using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;
using DistributedTrainer.Jobs;
using DistributedTrainer.Jobs.Internal;
using DistributedTrainer.Protos.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace DistributedTrainer.Sweeps;

/// <summary>
/// The path of one scalar field of a job spec, resolved against a base spec: <c>optimizer.learning_rate</c>,
/// <c>model.layers[2].dropout.rate</c>, <c>model.layers[hidden].dense.units</c> (a layer by its effective name, see
/// <see cref="LayerNaming"/>). Resolving checks every name, that each indexed item exists in the base spec and that
/// no step changes which member of a oneof is set, so <see cref="Apply"/> only ever writes the one field.
/// </summary>
public sealed partial class ParameterPath
{
    private readonly IReadOnlyList<Step> _steps;

    private ParameterPath(string text, IReadOnlyList<Step> steps)
    {
        Text = text;
        _steps = steps;
    }

    /// <summary>The path as written.</summary>
    public string Text { get; }

    /// <summary>The field the path ends at (a scalar, enum or string field).</summary>
    public FieldDescriptor Field => _steps[^1].Field;

    /// <summary>
    /// Resolves <paramref name="text"/> against <paramref name="baseSpec"/>; on failure <paramref name="problem"/>
    /// says which part is wrong and why.
    /// </summary>
    public static bool TryResolve(string text, JobSpec baseSpec, out ParameterPath? path, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(baseSpec);
        (path, problem) = (null, null);
        if (text.Length == 0)
        {
            problem = "required (a job spec field such as optimizer.learning_rate)";
            return false;
        }
        var steps = new List<Step>();
        IMessage? current = baseSpec;
        var descriptor = JobSpec.Descriptor;
        string walked = "";
        string[] parts = text.Split('.');
        for (int i = 0; i < parts.Length; i++)
        {
            var match = SegmentPattern().Match(parts[i]);
            if (!match.Success)
            {
                problem = $"\"{parts[i]}\" is not a field name (letters, digits and '_', optionally with [index] or [layer name])";
                return false;
            }
            string name = match.Groups["name"].Value;
            var field = descriptor.Fields.InDeclarationOrder().FirstOrDefault(f => f.Name == name || f.JsonName == name);
            if (field is null)
            {
                string? closest = ClosestName.Find(name, descriptor.Fields.InDeclarationOrder().Select(f => f.Name));
                problem = closest is null
                    ? $"unknown field \"{name}\" in {Where(walked, descriptor)} (it has {string.Join(", ", descriptor.Fields.InDeclarationOrder().Select(f => f.Name))})"
                    : $"unknown field \"{name}\" in {Where(walked, descriptor)} (did you mean \"{closest}\"?)";
                return false;
            }
            walked = walked.Length == 0 ? field.Name : $"{walked}.{field.Name}";
            bool last = i == parts.Length - 1;
            int? index = null;
            if (match.Groups["item"].Success)
            {
                if (!field.IsRepeated || field.FieldType != FieldType.Message)
                {
                    problem = $"{walked} is not a list of messages; it takes no [index]";
                    return false;
                }
                var items = current is null ? null : (IList)field.Accessor.GetValue(current);
                if (!TryFindItem(items, match.Groups["item"].Value, out int found))
                {
                    problem = $"{walked} has no item [{match.Groups["item"].Value}] in the base spec ({items?.Count ?? 0} items)";
                    return false;
                }
                index = found;
                walked += $"[{found}]";
                current = (IMessage)items![found]!;
                descriptor = field.MessageType;
            }
            else if (field.IsRepeated)
            {
                problem = $"{walked} is a list; name an item with [index]";
                return false;
            }
            else if (field.FieldType == FieldType.Message)
            {
                if (last)
                {
                    problem = $"{walked} is a message ({field.MessageType.Name}), not a value; name one of its fields ({string.Join(", ", field.MessageType.Fields.InDeclarationOrder().Select(f => f.Name))})";
                    return false;
                }
                if (current is not null && field.RealContainingOneof is { } oneof
                    && oneof.Accessor.GetCaseFieldDescriptor(current) is { } set && set != field)
                {
                    problem = $"{walked[..walked.LastIndexOf('.')]} is a {set.Name}, not a {field.Name}";
                    return false;
                }
                current = current is null ? null : (IMessage?)field.Accessor.GetValue(current);
                descriptor = field.MessageType;
            }
            else if (!last)
            {
                problem = $"{walked} is a value ({field.FieldType.ToString().ToLowerInvariant()}), it has no field \"{parts[i + 1]}\"";
                return false;
            }
            steps.Add(new Step(field, index));
        }
        if (steps[^1].Field.FieldType is FieldType.Bytes)
        {
            problem = $"{walked} holds bytes, which a sweep cannot vary";
            return false;
        }
        path = new ParameterPath(text, steps);
        return true;
    }

    /// <summary>
    /// Writes <paramref name="value"/> (already of the field's CLR type, see <see cref="FieldValues"/>) into
    /// <paramref name="spec"/>, creating unset messages along the way.
    /// </summary>
    /// <exception cref="ArgumentException">An indexed item is missing from <paramref name="spec"/> (not the base spec it was resolved on).</exception>
    public void Apply(JobSpec spec, object value)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(value);
        IMessage current = spec;
        foreach (var step in _steps.Take(_steps.Count - 1))
        {
            if (step.Index is { } index)
            {
                var items = (IList)step.Field.Accessor.GetValue(current);
                current = index < items.Count
                    ? (IMessage)items[index]!
                    : throw new ArgumentException($"Invalid spec for {Text}: {step.Field.Name} has {items.Count} items, no [{index}]", nameof(spec));
                continue;
            }
            if (step.Field.Accessor.GetValue(current) is not IMessage child)
            {
                child = (IMessage)Activator.CreateInstance(step.Field.MessageType.ClrType)!;
                step.Field.Accessor.SetValue(current, child);
            }
            current = child;
        }
        _steps[^1].Field.Accessor.SetValue(current, value);
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    private static bool TryFindItem(IList? items, string key, out int index)
    {
        index = -1;
        if (items is null)
        {
            return false;
        }
        if (int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out index))
        {
            return index < items.Count;
        }
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i] is LayerSpec layer && LayerNaming.EffectiveName(layer, i) == key)
            {
                index = i;
                return true;
            }
        }
        return false;
    }

    private static string Where(string walked, MessageDescriptor descriptor) =>
        walked.Length == 0 ? descriptor.Name : $"{walked} ({descriptor.Name})";

    [GeneratedRegex(@"^(?<name>[A-Za-z_][A-Za-z0-9_]*)(\[(?<item>[A-Za-z0-9_-]+)\])?$")]
    private static partial Regex SegmentPattern();

    private sealed record Step(FieldDescriptor Field, int? Index);
}
