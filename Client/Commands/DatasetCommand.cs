using System.CommandLine;
using System.Globalization;
using DistributedTrainer.Data;
using DistributedTrainer.Data.Shards;

namespace DistributedTrainer.Client.Commands;

/// <summary>
/// `trainctl dataset convert IN --format IDX|CSV --out DIR` writes a shard directory (docs/DATASETS.md);
/// `trainctl dataset inspect DIR` shows what one holds, verifies its checksums and previews a few samples.
/// </summary>
internal static class DatasetCommand
{
    // Feature values shown per previewed sample.
    private const int PreviewFeatures = 8;

    public static Command Create()
    {
        var command = new Command("dataset", "Convert data sets to sharded .npy directories and inspect them.");
        command.Subcommands.Add(CreateConvert());
        command.Subcommands.Add(CreateInspect());
        return command;
    }

    private static Command CreateConvert()
    {
        var input = new Argument<FileInfo>("IN") { Description = "The IDX images file, or the CSV file." };
        var format = new Option<string>("--format") { Description = "Input format: IDX or CSV.", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "The shard directory to create (must not exist).", Required = true };
        var shardSize = new Option<int>("--shard-size") { Description = $"Samples per shard (default {ShardConverter.DefaultShardSize}).", DefaultValueFactory = _ => ShardConverter.DefaultShardSize };
        var labels = new Option<FileInfo?>("--labels") { Description = "IDX only: the labels file (one class id per image)." };
        var labelColumn = new Option<int>("--label-column") { Description = "CSV only: zero-based column of the class id (default 0)." };
        var header = new Option<bool>("--header") { Description = "CSV only: the first row is a header." };
        var command = new Command("convert", "Convert an IDX or CSV data set to a shard directory (written whole or not at all).")
        {
            input, format, output, shardSize, labels, labelColumn, header,
        };
        command.SetAction(parsed => Convert(new ConvertArguments(
            parsed.GetValue(input)!.FullName, parsed.GetValue(format)!, parsed.GetValue(output)!.FullName, parsed.GetValue(shardSize),
            parsed.GetValue(labels)?.FullName, parsed.GetValue(labelColumn), parsed.GetValue(header)), Console.Out, Console.Error));
        return command;
    }

    private static Command CreateInspect()
    {
        var directory = new Argument<DirectoryInfo>("DIR") { Description = "A shard directory (holding index.json)." };
        var preview = new Option<int>("--preview") { Description = "Samples to preview (default 3).", DefaultValueFactory = _ => 3 };
        var command = new Command("inspect", "Show a shard directory's counts, shapes and types, verify its checksums and preview samples.") { directory, preview };
        command.SetAction(parsed => Inspect(parsed.GetValue(directory)!.FullName, parsed.GetValue(preview), Console.Out, Console.Error));
        return command;
    }

    /// <summary>Runs `dataset convert`; returns the exit code.</summary>
    internal static int Convert(ConvertArguments arguments, TextWriter output, TextWriter error)
    {
        string format = arguments.Format.ToUpperInvariant();
        string? invalid = (format, arguments) switch
        {
            (_, { ShardSize: < 1 }) => $"--shard-size: must be >= 1, got {arguments.ShardSize}",
            (not ("IDX" or "CSV"), _) => $"--format: must be IDX or CSV, got {arguments.Format}",
            ("IDX", { LabelsPath: null }) => "--labels: required for IDX (the labels file)",
            ("CSV", { LabelsPath: not null }) => "--labels: is unused for CSV (the class id is a column, see --label-column)",
            (_, { LabelColumn: < 0 }) => $"--label-column: must be >= 0, got {arguments.LabelColumn}",
            _ => null,
        };
        if (invalid is not null)
        {
            error.WriteLine($"trainctl dataset convert: {invalid}");
            return ExitCodes.InvalidInput;
        }
        try
        {
            var index = format == "IDX"
                ? ShardConverter.FromIdx(arguments.InputPath, arguments.LabelsPath!, arguments.OutputPath, arguments.ShardSize)
                : ShardConverter.FromCsv(arguments.InputPath, arguments.LabelColumn, arguments.HasHeader, arguments.OutputPath, arguments.ShardSize);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Wrote {index.SampleCount} samples in {index.Shards.Count} shard(s) to {arguments.OutputPath}"));
            return ExitCodes.Ok;
        }
        catch (Exception failure) when (failure is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            error.WriteLine($"trainctl dataset convert: {failure.Message}");
            return ExitCodes.InvalidInput;
        }
    }

    /// <summary>Runs `dataset inspect`; returns the exit code (2 when a checksum does not match).</summary>
    internal static int Inspect(string directory, int preview, TextWriter output, TextWriter error)
    {
        if (preview < 0)
        {
            error.WriteLine($"trainctl dataset inspect: --preview: must be >= 0, got {preview}");
            return ExitCodes.InvalidInput;
        }
        try
        {
            // Any class id previews; training checks them against the class count.
            var (data, index) = ShardedDataset.Open(directory, int.MaxValue);
            var culture = CultureInfo.InvariantCulture;
            output.WriteLine($"Shard directory: {directory}");
            output.WriteLine(string.Create(culture, $"Samples:  {index.SampleCount} in {index.Shards.Count} shard(s)"));
            output.WriteLine(string.Create(culture, $"Features: {index.FeatureType.Name()} ({string.Join(", ", index.FeatureShape)}), {index.FeatureCount} per sample"));
            string classes = index.ClassCount is { } count ? string.Create(culture, $", {count} classes") : "";
            output.WriteLine(string.Create(culture,
                $"Targets:  {ShardIndex.KindName(index.TargetKind)} {index.TargetType.Name()} ({string.Join(", ", index.TargetShape)}){classes}"));
            var checks = ShardVerifier.Verify(Path.GetDirectoryName(Path.GetFullPath(ShardIndex.IndexPath(directory)))!, index);
            for (int s = 0; s < index.Shards.Count; s++)
            {
                var shard = index.Shards[s];
                output.WriteLine(string.Create(culture,
                    $"  shard {s}: {shard.Samples} samples  {shard.Features} {Verdict(checks[2 * s])}  {shard.Targets} {Verdict(checks[2 * s + 1])}"));
            }
            int bad = checks.Count(check => !check.Matches);
            output.WriteLine(bad == 0
                ? string.Create(culture, $"Checksums: all {checks.Count} files match index.json")
                : string.Create(culture, $"Checksums: {bad} of {checks.Count} files do NOT match index.json"));
            Preview(output, data, Math.Min(preview, data.Count));
            return bad == 0 ? ExitCodes.Ok : ExitCodes.InvalidInput;
        }
        catch (Exception failure) when (failure is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            error.WriteLine($"trainctl dataset inspect: {failure.Message}");
            return ExitCodes.InvalidInput;
        }
    }

    private static string Verdict(ShardVerifier.FileCheck check) => check.Matches ? "ok" : "MISMATCH";

    private static void Preview(TextWriter output, Dataset data, int samples)
    {
        if (samples == 0)
        {
            return;
        }
        output.WriteLine("Preview (raw values):");
        var features = new float[data.FeatureCount];
        bool classIds = data.TargetKind == TargetKind.ClassIds;
        var labels = new int[classIds ? data.TargetsPerSample : 0];
        var targets = new float[data.TargetWidth];
        for (int sample = 0; sample < samples; sample++)
        {
            string target;
            if (classIds)
            {
                data.Gather(features, labels, [sample]);
                target = $"class {string.Join(", ", labels)}";
            }
            else
            {
                data.GatherTargets(features, targets, [sample]);
                target = $"targets [{Values(targets)}]";
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  sample {sample}: {target}; features [{Values(features)}]"));
        }
    }

    private static string Values(float[] values)
    {
        string shown = string.Join(", ", values.Take(PreviewFeatures).Select(value => value.ToString("G6", CultureInfo.InvariantCulture)));
        return values.Length > PreviewFeatures ? string.Create(CultureInfo.InvariantCulture, $"{shown}, ... ({values.Length} in all)") : shown;
    }
}

/// <summary>The arguments of `trainctl dataset convert`.</summary>
internal sealed record ConvertArguments(string InputPath, string Format, string OutputPath, int ShardSize, string? LabelsPath, int LabelColumn, bool HasHeader);
