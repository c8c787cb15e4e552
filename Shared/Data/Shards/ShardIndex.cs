using System.Text.Json;

namespace DistributedTrainer.Data.Shards;

/// <summary>
/// The index.json of a sharded data set (docs/DATASETS.md): what every shard holds and how many samples, the
/// feature and target types and shapes, and a SHA-256 per file. One directory is one split (train or test).
/// </summary>
/// <param name="FeatureType">Element type of the features.</param>
/// <param name="FeatureShape">Shape of one sample's features (empty for a scalar); the model sees them flattened.</param>
/// <param name="TargetKind">What the targets are.</param>
/// <param name="TargetType">Element type of the targets (an integer type for class ids).</param>
/// <param name="TargetShape">Shape of one sample's targets: empty for class ids, [C] for multi-hot, [] or [K] for real.</param>
/// <param name="ClassCount">Classes of class-id targets (ids are in [0, ClassCount)); null when the index does not say.</param>
/// <param name="Shards">The shards, in sample order.</param>
public sealed record ShardIndex(NpyDType FeatureType, int[] FeatureShape, TargetKind TargetKind, NpyDType TargetType,
    int[] TargetShape, int? ClassCount, IReadOnlyList<ShardEntry> Shards)
{
    /// <summary>The index file's name inside a shard directory.</summary>
    public const string FileName = "index.json";

    /// <summary>The value of the index's "format" field.</summary>
    public const string FormatName = "distributed-trainer-shards";

    /// <summary>The index layout version this code reads and writes.</summary>
    public const int Version = 1;

    /// <summary>Samples in all shards.</summary>
    public long SampleCount => Shards.Sum(shard => (long)shard.Samples);

    /// <summary>Features per sample: the product of <see cref="FeatureShape"/>.</summary>
    public int FeatureCount => Product(FeatureShape);

    /// <summary>Class ids per sample (1) or target values per sample (the product of <see cref="TargetShape"/>).</summary>
    public int TargetWidth => Product(TargetShape);

    /// <summary>The index file of <paramref name="path"/>: the directory's index.json, or the file itself.</summary>
    public static string IndexPath(string path) =>
        Directory.Exists(path) ? Path.Combine(path, FileName) : path;

    /// <summary>
    /// Reads and checks the index at <paramref name="path"/> (a shard directory or its index.json). Throws
    /// <see cref="InvalidDataException"/> naming the index field ("index.json: shards[2].samples: ...") without
    /// quoting its value, or <see cref="FileNotFoundException"/>.
    /// </summary>
    public static ShardIndex Read(string path)
    {
        string indexPath = IndexPath(path);
        if (!File.Exists(indexPath))
        {
            throw new FileNotFoundException($"{indexPath}: no {FileName} (not a shard directory)", indexPath);
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        }
        catch (JsonException invalid)
        {
            throw new InvalidDataException($"{FileName}: not valid JSON (line {invalid.LineNumber + 1})", invalid);
        }
        using (document)
        {
            return Parse(document.RootElement);
        }
    }

    /// <summary>Writes this index as <paramref name="directory"/>/index.json.</summary>
    public void Write(string directory)
    {
        using var file = File.Create(Path.Combine(directory, FileName));
        using var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("format", FormatName);
        json.WriteNumber("version", Version);
        json.WriteNumber("samples", SampleCount);
        json.WriteStartObject("features");
        json.WriteString("dtype", FeatureType.Name());
        WriteShape(json, FeatureShape);
        json.WriteEndObject();
        json.WriteStartObject("targets");
        json.WriteString("kind", KindName(TargetKind));
        json.WriteString("dtype", TargetType.Name());
        WriteShape(json, TargetShape);
        if (ClassCount is { } classes)
        {
            json.WriteNumber("num_classes", classes);
        }
        json.WriteEndObject();
        json.WriteStartArray("shards");
        foreach (var shard in Shards)
        {
            json.WriteStartObject();
            json.WriteNumber("samples", shard.Samples);
            json.WriteString("features", shard.Features);
            json.WriteString("features_sha256", shard.FeaturesSha256);
            json.WriteString("targets", shard.Targets);
            json.WriteString("targets_sha256", shard.TargetsSha256);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The index name of <paramref name="kind"/>: class_ids, multi_hot or real.</summary>
    public static string KindName(TargetKind kind) => kind switch
    {
        TargetKind.ClassIds => "class_ids",
        TargetKind.MultiHot => "multi_hot",
        _ => "real",
    };

    private static void WriteShape(Utf8JsonWriter json, int[] shape)
    {
        json.WriteStartArray("shape");
        foreach (int size in shape)
        {
            json.WriteNumberValue(size);
        }
        json.WriteEndArray();
    }

    private static ShardIndex Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("", "must be a JSON object");
        }
        if (String(root, "format") != FormatName)
        {
            throw Invalid("format", $"must be \"{FormatName}\"");
        }
        if (Integer(root, "version", 1) != Version)
        {
            throw Invalid("version", $"must be {Version}");
        }
        var features = Object(root, "features");
        var featureType = DType(features, "features.dtype");
        var featureShape = Shape(features, "features.shape");

        var targets = Object(root, "targets");
        var kind = String(targets, "kind") switch
        {
            "class_ids" => TargetKind.ClassIds,
            "multi_hot" => TargetKind.MultiHot,
            "real" => TargetKind.Real,
            _ => throw Invalid("targets.kind", "must be class_ids, multi_hot or real"),
        };
        var targetType = DType(targets, "targets.dtype");
        var targetShape = Shape(targets, "targets.shape");
        int? classCount = targets.TryGetProperty("num_classes", out _) ? (int)Integer(targets, "num_classes", 1, "targets.num_classes") : null;
        switch (kind)
        {
            case TargetKind.ClassIds when !targetType.IsInteger():
                throw Invalid("targets.dtype", "must be an integer type (uint8, int32 or int64) for class_ids");
            case TargetKind.ClassIds when targetShape.Length != 0:
                throw Invalid("targets.shape", "must be [] for class_ids (one id per sample)");
            case TargetKind.MultiHot when targetShape.Length != 1:
                throw Invalid("targets.shape", "must be [C] for multi_hot (C classes)");
            case TargetKind.MultiHot when classCount is { } given && given != targetShape[0]:
                throw Invalid("targets.num_classes", "must equal targets.shape[0] for multi_hot");
            case TargetKind.Real when targetShape.Length > 1:
                throw Invalid("targets.shape", "must be [] or [K] for real (K values per sample)");
            case TargetKind.Real when classCount is not null:
                throw Invalid("targets.num_classes", "applies to class_ids and multi_hot only; remove it");
        }

        var shards = new List<ShardEntry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (!root.TryGetProperty("shards", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            throw Invalid("shards", "must be a non-empty array");
        }
        long total = 0;
        foreach (var item in list.EnumerateArray())
        {
            string at = $"shards[{shards.Count}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(at, "must be an object");
            }
            var entry = new ShardEntry(
                FileNameOf(item, at, "features", names),
                FileNameOf(item, at, "targets", names),
                (int)Integer(item, "samples", 1, at + ".samples"),
                Sha256(item, at, "features_sha256"),
                Sha256(item, at, "targets_sha256"));
            total += entry.Samples;
            shards.Add(entry);
        }
        if (total > int.MaxValue)
        {
            throw Invalid("shards", $"hold more than {int.MaxValue} samples in all");
        }
        if (root.TryGetProperty("samples", out _) && Integer(root, "samples", 1) != total)
        {
            throw Invalid("samples", "must equal the sum of shards[*].samples");
        }
        return new ShardIndex(featureType, featureShape, kind, targetType, targetShape, classCount, shards);
    }

    private static JsonElement Object(JsonElement parent, string name)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(name, "must be an object");
        }
        return value;
    }

    private static string? String(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long Integer(JsonElement parent, string name, long minimum, string? field = null)
    {
        if (!parent.TryGetProperty(name, out var value) || !value.TryGetInt64(out long number) || number < minimum || number > int.MaxValue)
        {
            throw Invalid(field ?? name, $"must be an integer in [{minimum}, {int.MaxValue}]");
        }
        return number;
    }

    private static NpyDType DType(JsonElement parent, string field)
    {
        if (!NpyDTypes.TryParseName(String(parent, "dtype"), out var type))
        {
            throw Invalid(field, $"must be one of {NpyDTypes.Names}");
        }
        return type;
    }

    private static int[] Shape(JsonElement parent, string field)
    {
        if (!parent.TryGetProperty("shape", out var value) || value.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(field, "must be an array of sizes ([] for a scalar)");
        }
        var shape = new List<int>();
        long product = 1;
        foreach (var size in value.EnumerateArray())
        {
            if (!size.TryGetInt32(out int dimension) || dimension < 1)
            {
                throw Invalid($"{field}[{shape.Count}]", "must be an integer >= 1");
            }
            product *= dimension;
            if (product > int.MaxValue)
            {
                throw Invalid(field, $"describes more than {int.MaxValue} values per sample");
            }
            shape.Add(dimension);
        }
        return [.. shape];
    }

    // A plain file name in the directory: no separators, no "." or "..", so the index cannot point outside it.
    private static string FileNameOf(JsonElement item, string at, string name, HashSet<string> names)
    {
        string? file = String(item, name);
        if (string.IsNullOrEmpty(file) || file is "." or ".." || file.Contains('/', StringComparison.Ordinal)
            || file.Contains('\\', StringComparison.Ordinal) || file.Contains('\0', StringComparison.Ordinal) || file == FileName)
        {
            throw Invalid($"{at}.{name}", "must be the name of a .npy file in the shard directory (no path)");
        }
        if (!names.Add(file))
        {
            throw Invalid($"{at}.{name}", "names a file another shard entry names too");
        }
        return file;
    }

    private static string Sha256(JsonElement item, string at, string name)
    {
        string? digest = String(item, name);
        if (digest is not { Length: 64 } || !digest.All(char.IsAsciiHexDigit))
        {
            throw Invalid($"{at}.{name}", "must be a SHA-256 in 64 hex digits");
        }
        return digest.ToLowerInvariant();
    }

    private static int Product(int[] shape) => shape.Aggregate(1, (product, size) => product * size);

    private static InvalidDataException Invalid(string field, string reason) =>
        new(field.Length == 0 ? $"{FileName}: {reason}" : $"{FileName}: {field}: {reason}");
}
