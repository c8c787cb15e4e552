using DistributedTrainer.Data.Shards;
using DistributedTrainer.Protos.V1;
using SpecFormat = DistributedTrainer.Protos.V1.DatasetSpec.Types.Format;
using SpecNormalization = DistributedTrainer.Protos.V1.DatasetSpec.Types.Normalization;

namespace DistributedTrainer.Data;

/// <summary>
/// Turns a job's <see cref="DatasetSpec"/> into normalized train, validation and test splits. Errors name the
/// spec field ("dataset.train_path: ...") and the file.
/// </summary>
public static class DatasetLoader
{
    /// <summary>
    /// Reads the files, holds out <c>validation_fraction</c> of the training file (seeded by
    /// <paramref name="seed"/>), fits the normalization on the training split and applies it to all three.
    /// Defaults: an unspecified format is SHARDS when the training path is a directory, CSV when the training file
    /// name ends in ".csv" or ".csv.gz", IDX otherwise; an unspecified normalization is SCALE. SHARDS maps the shard
    /// files and reads no sample unless the normalization must be fitted on the data (SCALE of non-byte features,
    /// STANDARDIZE).
    /// </summary>
    public static LoadedData Load(DatasetSpec spec, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var format = ResolveFormat(spec);
        if (format == SpecFormat.Text)
        {
            return LoadText(spec, seed);
        }
        if (!(spec.ValidationFraction >= 0f && spec.ValidationFraction < 1f))
        {
            throw new ArgumentException($"dataset.validation_fraction: {spec.ValidationFraction} (must be in [0, 1))", nameof(spec));
        }
        if (spec.NumClasses < 0)
        {
            throw new ArgumentException($"dataset.num_classes: {spec.NumClasses} (must be >= 0; 0 infers it)", nameof(spec));
        }
        if (format == SpecFormat.Shards)
        {
            return LoadShards(spec, seed);
        }
        RequireFile("train_path", spec.TrainPath);
        RequireFile("test_path", spec.TestPath);
        if (format == SpecFormat.Idx)
        {
            RequireFile("train_labels_path", spec.TrainLabelsPath);
            RequireFile("test_labels_path", spec.TestLabelsPath);
        }

        var testTask = Task.Run(() => ReadSplit(format, spec, "test_path", spec.TestPath, "test_labels_path", spec.TestLabelsPath));
        var train = ReadSplit(format, spec, "train_path", spec.TrainPath, "train_labels_path", spec.TrainLabelsPath);
        var test = testTask.GetAwaiter().GetResult();
        if (test.FeatureCount != train.FeatureCount)
        {
            throw new InvalidDataException(
                $"dataset.test_path: {spec.TestPath} has {test.FeatureCount} features per sample; {spec.TrainPath} has {train.FeatureCount}");
        }

        if (train.Labels.Length == 0)
        {
            throw new InvalidDataException($"dataset.train_path: {spec.TrainPath} holds no samples");
        }
        int classCount = spec.NumClasses > 0 ? spec.NumClasses : train.Labels.Max() + 1;
        string classSource = spec.NumClasses > 0 ? "dataset.num_classes" : "the training labels";
        var whole = train.ToDataset(classCount, classSource);
        var testSet = test.ToDataset(classCount, classSource);
        return SplitAndNormalize(spec, seed, whole, testSet, classCount);
    }

    // SHARDS: two shard directories, mapped; their indexes must agree on features and targets.
    private static LoadedData LoadShards(DatasetSpec spec, ulong seed)
    {
        RequireShards("train_path", spec.TrainPath);
        RequireShards("test_path", spec.TestPath);
        var (train, trainIndex) = WithField("train_path", () => ShardedDataset.Open(spec.TrainPath, spec.NumClasses));
        var (test, testIndex) = WithField("test_path", () => ShardedDataset.Open(spec.TestPath, train.ClassCount));
        if (test.FeatureCount != train.FeatureCount || testIndex.FeatureType != trainIndex.FeatureType)
        {
            throw new InvalidDataException(
                $"dataset.test_path: {spec.TestPath} has {test.FeatureCount} {testIndex.FeatureType.Name()} features per sample; {spec.TrainPath} has {train.FeatureCount} {trainIndex.FeatureType.Name()}");
        }
        if (testIndex.TargetKind != trainIndex.TargetKind || testIndex.TargetWidth != trainIndex.TargetWidth)
        {
            throw new InvalidDataException(
                $"dataset.test_path: {spec.TestPath} has {ShardIndex.KindName(testIndex.TargetKind)} targets of width {testIndex.TargetWidth}; {spec.TrainPath} has {ShardIndex.KindName(trainIndex.TargetKind)} of width {trainIndex.TargetWidth}");
        }
        if (trainIndex.TargetKind == TargetKind.ClassIds && testIndex.ClassCount > train.ClassCount)
        {
            throw new InvalidDataException(
                $"dataset.test_path: {spec.TestPath} has {testIndex.ClassCount} classes; the training set has {train.ClassCount} (set dataset.num_classes)");
        }
        return SplitAndNormalize(spec, seed, train, test, train.ClassCount);
    }

    private static LoadedData SplitAndNormalize(DatasetSpec spec, ulong seed, Dataset whole, Dataset testSet, int classCount)
    {
        Dataset trainSet = whole;
        Dataset? validation = null;
        if (spec.ValidationFraction > 0f)
        {
            var split = ValidationSplit.Create(whole.Count, spec.ValidationFraction, seed);
            trainSet = whole.Subset(split.Train);
            validation = whole.Subset(split.Validation);
        }
        var normalization = Normalization.Fit(ResolveNormalization(spec.Normalization), trainSet);
        return new LoadedData(
            trainSet.WithNormalization(normalization),
            validation?.WithNormalization(normalization),
            testSet.WithNormalization(normalization),
            classCount,
            whole.FeatureCount);
    }

    // TEXT: the corpus's windows and its held-out tail; the validation split, when asked for, is drawn from the
    // training windows as for the other formats. Ids are not rescaled (an embedding layer looks them up).
    private static LoadedData LoadText(DatasetSpec spec, ulong seed)
    {
        if (spec.Window < 1)
        {
            throw new ArgumentException($"dataset.window: {spec.Window} (must be >= 1 for TEXT)", nameof(spec));
        }
        if (spec.WindowStride < 0)
        {
            throw new ArgumentException($"dataset.window_stride: {spec.WindowStride} (must be >= 0; 0 means window)", nameof(spec));
        }
        float testFraction = spec.HasTestFraction ? spec.TestFraction : TextCorpus.DefaultTestFraction;
        if (!(testFraction > 0f && testFraction <= 0.5f))
        {
            throw new ArgumentException($"dataset.test_fraction: {testFraction} (must be in (0, 0.5])", nameof(spec));
        }
        if (!(spec.ValidationFraction >= 0f && spec.ValidationFraction < 1f))
        {
            throw new ArgumentException($"dataset.validation_fraction: {spec.ValidationFraction} (must be in [0, 1))", nameof(spec));
        }
        if (string.IsNullOrWhiteSpace(spec.TrainPath))
        {
            throw new ArgumentException("dataset.train_path: required", nameof(spec));
        }
        if (spec.TestContext < 0 || spec.TestContext >= spec.Window)
        {
            throw new ArgumentException(
                $"dataset.test_context: {spec.TestContext} (must be in [0, {spec.Window}), below dataset.window: a test window scores at least one step)", nameof(spec));
        }
        var text = TextCorpus.Load(spec.TrainPath, spec.Window, spec.WindowStride > 0 ? spec.WindowStride : spec.Window, testFraction, spec.TestContext);
        int classCount = Math.Max(spec.NumClasses, text.Vocabulary.Count);
        Dataset trainSet = text.Train;
        Dataset? validation = null;
        if (spec.ValidationFraction > 0f)
        {
            var split = ValidationSplit.Create(text.Train.Count, spec.ValidationFraction, seed);
            trainSet = text.Train.Subset(split.Train);
            validation = text.Train.Subset(split.Validation);
        }
        return new LoadedData(trainSet, validation, text.Test, classCount, spec.Window)
        {
            Vocabulary = text.Vocabulary,
            ScoredTestTargets = text.ScoredTestTargets,
        };
    }

    private static SpecFormat ResolveFormat(DatasetSpec spec) => spec.Format switch
    {
        SpecFormat.Idx or SpecFormat.Csv or SpecFormat.Text or SpecFormat.Shards => spec.Format,
        SpecFormat.Unspecified when Directory.Exists(spec.TrainPath) => SpecFormat.Shards,
        SpecFormat.Unspecified => spec.TrainPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
            || spec.TrainPath.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase) ? SpecFormat.Csv : SpecFormat.Idx,
        _ => throw new ArgumentException($"dataset.format: {spec.Format} is not a known format (IDX, CSV, TEXT or SHARDS)", nameof(spec)),
    };

    private static NormalizationKind ResolveNormalization(SpecNormalization normalization) => normalization switch
    {
        SpecNormalization.Unspecified or SpecNormalization.Scale => NormalizationKind.Scale,
        SpecNormalization.None => NormalizationKind.None,
        SpecNormalization.Standardize => NormalizationKind.Standardize,
        _ => throw new ArgumentException($"dataset.normalization: {normalization} is not a known normalization"),
    };

    private static void RequireFile(string field, string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException($"dataset.{field}: required");
        }
        if (File.Exists(path))
        {
            return;
        }
        throw new FileNotFoundException($"dataset.{field}: file not found: {path}{MissingDataHint.For(path)}", path);
    }

    private static void RequireShards(string field, string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException($"dataset.{field}: required (a shard directory)");
        }
        if (!File.Exists(ShardIndex.IndexPath(path)))
        {
            throw new FileNotFoundException($"dataset.{field}: no shard directory (with {ShardIndex.FileName}) at {path}", path);
        }
    }

    private static RawSplit ReadSplit(SpecFormat format, DatasetSpec spec, string field, string path, string labelsField, string labelsPath)
    {
        if (format == SpecFormat.Csv)
        {
            var table = WithField(field, () => CsvReader.Read(path, spec.LabelColumn, spec.HasHeader));
            return new RawSplit(null, table.Features, table.Labels, table.FeatureCount, field, path);
        }
        var images = WithField(field, () => IdxReader.Read(path));
        var labels = WithField(labelsField, () => IdxReader.Read(labelsPath));
        if (images.Dimensions.Length < 2)
        {
            throw new InvalidDataException(
                $"dataset.{field}: {path} has dimensions [{string.Join(", ", images.Dimensions)}]; images need at least 2 (samples, features...)");
        }
        if (labels.Dimensions.Length != 1)
        {
            throw new InvalidDataException(
                $"dataset.{labelsField}: {labelsPath} has dimensions [{string.Join(", ", labels.Dimensions)}]; labels need exactly 1");
        }
        if (labels.Dimensions[0] != images.Dimensions[0])
        {
            throw new InvalidDataException(
                $"dataset.{labelsField}: {labelsPath} holds {labels.Dimensions[0]} labels but {path} holds {images.Dimensions[0]} samples");
        }
        var classes = new int[labels.Data.Length];
        for (int i = 0; i < classes.Length; i++)
        {
            classes[i] = labels.Data[i];
        }
        return new RawSplit(images.Data, null, classes, images.ElementsPerItem, labelsField, labelsPath);
    }

    private static T WithField<T>(string field, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidDataException error)
        {
            throw new InvalidDataException($"dataset.{field}: {error.Message}", error);
        }
        catch (FileNotFoundException missing)
        {
            throw new FileNotFoundException($"dataset.{field}: {missing.Message}", missing.FileName, missing);
        }
    }

    /// <summary>One file's samples before the class count is known.</summary>
    private sealed record RawSplit(byte[]? Bytes, float[]? Floats, int[] Labels, int FeatureCount, string LabelField, string LabelPath)
    {
        public Dataset ToDataset(int classCount, string classSource)
        {
            for (int i = 0; i < Labels.Length; i++)
            {
                if (Labels[i] >= classCount)
                {
                    // The label itself is not quoted: it is file content, and the message goes back to the caller.
                    throw new InvalidDataException(
                        $"dataset.{LabelField}: {LabelPath} sample {i} has a label outside the {classCount} classes of {classSource}");
                }
            }
            return Bytes is not null
                ? Dataset.FromBytes(Bytes, Labels, FeatureCount, classCount)
                : Dataset.FromFloats(Floats!, Labels, FeatureCount, classCount);
        }
    }
}
