using System.Text.Json;
using DistributedTrainer.Jobs.Internal;
using DistributedTrainer.Protos.V1;
using Google.Protobuf;

namespace DistributedTrainer.Jobs;

/// <summary>
/// Reads job spec files: the proto3 JSON mapping of <see cref="JobSpec"/>, as JSON or YAML, with field names in
/// snake_case or lowerCamelCase and enum values by name. Reading checks structure only (syntax, field names, value
/// types); <see cref="JobSpecValidator"/> checks values.
/// </summary>
public static class JobSpecLoader
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default);

    /// <summary>
    /// Reads the spec at <paramref name="path"/>, its format taken from the extension (.json, .yaml, .yml).
    /// Relative dataset paths and <c>transfer.from_checkpoint</c> are resolved against the spec file's directory,
    /// so a spec works from any current directory; an empty <c>name</c> becomes the file name without extension.
    /// </summary>
    /// <exception cref="ArgumentException">The extension is none of .json, .yaml, .yml.</exception>
    /// <exception cref="JobSpecException">The file is malformed or names unknown fields; every error has its path.</exception>
    public static JobSpec LoadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var format = FormatOf(path);
        var text = File.ReadAllText(path);
        JobSpec spec;
        try
        {
            spec = Parse(text, format);
        }
        catch (JobSpecException e)
        {
            throw new JobSpecException(e.Errors, path);
        }

        ResolvePaths(spec, Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (spec.Name.Length == 0)
        {
            spec.Name = Path.GetFileNameWithoutExtension(path);
        }

        return spec;
    }

    /// <summary>Parses spec text as is (no path resolution, no default name).</summary>
    /// <exception cref="JobSpecException">The text is malformed (the error gives line and column), or names unknown
    /// fields or holds values of the wrong type (every error gives its field path).</exception>
    public static JobSpec Parse(string text, SpecFormat format) => ParseMessage<JobSpec>(text, format);

    /// <summary>Resolves relative dataset paths and <c>transfer.from_checkpoint</c> of <paramref name="spec"/> against <paramref name="directory"/>.</summary>
    internal static void ResolvePaths(JobSpec spec, string directory)
    {
        if (spec.Dataset is { } dataset)
        {
            dataset.TrainPath = Resolve(directory, dataset.TrainPath);
            dataset.TrainLabelsPath = Resolve(directory, dataset.TrainLabelsPath);
            dataset.TestPath = Resolve(directory, dataset.TestPath);
            dataset.TestLabelsPath = Resolve(directory, dataset.TestLabelsPath);
        }

        if (spec.Transfer is { } transfer)
        {
            transfer.FromCheckpoint = Resolve(directory, transfer.FromCheckpoint);
        }
    }

    /// <summary>Parses the proto3 JSON mapping of any spec message (job or sweep) from JSON or YAML, reporting every structural error with its path.</summary>
    internal static T ParseMessage<T>(string text, SpecFormat format)
        where T : IMessage<T>, new()
    {
        ArgumentNullException.ThrowIfNull(text);
        var json = format switch
        {
            SpecFormat.Json => text,
            SpecFormat.Yaml => YamlToJson.Convert(text),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, $"Invalid spec format: {format}"),
        };

        using (var document = ParseJson(json))
        {
            var errors = JsonFieldChecker.Check(document.RootElement, new T().Descriptor);
            if (errors.Count > 0)
            {
                throw new JobSpecException(errors);
            }
        }

        try
        {
            return Parser.Parse<T>(json);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException)
        {
            // The field checker accepts only what the parser accepts; this reports any gap between the two plainly.
            throw new JobSpecException([new ValidationError("", e.Message)]);
        }
    }

    private static JsonDocument ParseJson(string json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            // The message ends with the 0-based position ("... LineNumber: 0 | BytePositionInLine: 7."); report it 1-based.
            var reason = e.Message;
            var position = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (position >= 0)
            {
                reason = reason[..position];
            }

            var line = (e.LineNumber ?? 0) + 1;
            var column = (e.BytePositionInLine ?? 0) + 1;
            throw new JobSpecException([new ValidationError("", $"line {line}, column {column}: {reason}")]);
        }
    }

    internal static SpecFormat FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".json" => SpecFormat.Json,
        ".yaml" or ".yml" => SpecFormat.Yaml,
        var other => throw new ArgumentException($"Invalid spec file extension: \"{other}\" in {path} (must be .json, .yaml or .yml)", nameof(path)),
    };

    private static string Resolve(string directory, string path) =>
        path.Length == 0 || Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(directory, path));
}
