using System.Globalization;
using System.Reflection;
using DistributedTrainer.Jobs.Internal;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using Google.Protobuf.Collections;
using Google.Protobuf.Reflection;

namespace DistributedTrainer.Jobs;

/// <summary>
/// Every check of a job spec's values, in one place: each field against its documented range, the fields that
/// depend on one another, the limits of <see cref="JobLimits"/> and, when the data shape is known, the sizes that
/// flow through the model. It collects all errors rather than stopping at the first, each with its field path.
/// </summary>
public sealed partial class JobSpecValidator
{
    // The proto's documented UNIFORM bounds, used when only one of low and high is set.
    private const float DefaultUniformLow = -0.05f;
    private const float DefaultUniformHigh = 0.05f;

    private readonly JobLimits limits;
    private readonly DataShape? shape;
    private readonly List<ValidationError> errors = [];
    private readonly List<string> layerNames = [];
    private int layerCount;
    private long parameterCount;
    private bool parameterCountKnown;
    // The image (C, H, W) the rows hold at the layer being checked, when a reshape, conv2d or pool stated one.
    private ImageShape? image;
    // Set when an image layer before was invalid: its output shape is unknown, so later image layers report nothing more.
    private bool imageUnknown;
    // Whether the features reaching the next layer are a sequence: 0 for the model's input (any step width),
    // the per-step width after a recurrent layer with output SEQUENCE, null for one vector per sample.
    private int? sequenceStep = 0;
    // The field path of the model being checked ("model", or a GAN network's "adversarial.generator.model").
    private string modelPath = "model";

    private JobSpecValidator(JobLimits limits, DataShape? shape)
    {
        this.limits = limits;
        this.shape = shape;
        parameterCountKnown = shape is not null;
    }

    /// <summary>
    /// Checks <paramref name="spec"/> against its documented ranges and <paramref name="limits"/>. With
    /// <paramref name="shape"/> (features and classes from the dataset header) it also follows feature counts through
    /// the layers: residual and highway bodies must keep them, the output must fit the loss, SPARSE initializers must
    /// fit the fan-in, and the parameter count must stay within the limit.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="shape"/> has a count that is not positive.</exception>
    public static ValidationResult Validate(JobSpec spec, JobLimits limits, DataShape? shape = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(limits);
        if (shape is { } given && (given.InputFeatures <= 0 || given.ClassCount <= 0))
        {
            throw new ArgumentException($"Invalid data shape: {given} (input features and class count must be > 0)", nameof(shape));
        }

        var validator = new JobSpecValidator(limits, shape);
        validator.CheckJob(spec);
        return new ValidationResult(validator.errors);
    }

    // Sections run in field order, so errors come out in the order the spec reads.
    private void CheckJob(JobSpec spec)
    {
        var dataset = spec.Dataset ?? new DatasetSpec();
        if (spec.Adversarial is not null)
        {
            CheckAdversarialJob(spec, dataset);
            return;
        }
        var model = spec.Model ?? new ModelSpec();
        var optimizer = spec.Optimizer ?? new OptimizerSpec();
        CheckDataset(dataset);
        var outputs = CheckModel(model);
        CheckLoss(spec.Loss ?? new LossSpec(), model, outputs, dataset);
        CheckOptimizer(optimizer);
        CheckSchedule(spec.Schedule, optimizer, dataset);
        CheckRegularization(spec.Regularization);
        CheckClipping(spec.Clipping);
        Bounded("batch_size", spec.BatchSize, limits.MaxBatchSize, nameof(JobLimits.MaxBatchSize));
        Bounded("epochs", spec.Epochs, limits.MaxEpochs, nameof(JobLimits.MaxEpochs));
        CheckEarlyStopping(spec.EarlyStopping, dataset);
        CheckCheckpoint(spec.Checkpoint);
        CheckWorkers(spec.MinWorkers, spec.MaxWorkers);
        CheckTransfer(spec.Transfer);
        CheckFaultTolerance(spec.FaultTolerance);
    }

    private void CheckDataset(DatasetSpec dataset)
    {
        RequireKind("dataset.format", dataset.Format);
        if (dataset.Format == DatasetSpec.Types.Format.Text)
        {
            CheckTextDataset(dataset);
            return;
        }

        foreach (var (field, set) in new[]
        {
            ("window", dataset.Window != 0), ("window_stride", dataset.WindowStride != 0), ("test_fraction", dataset.HasTestFraction),
            ("test_context", dataset.TestContext != 0),
        })
        {
            if (set)
            {
                Add("dataset." + field, "applies to format TEXT only; remove it");
            }
        }

        if (dataset.Format == DatasetSpec.Types.Format.Shards)
        {
            CheckShardsDataset(dataset);
        }
        else
        {
            RequireFile("dataset.train_path", dataset.TrainPath);
            CheckLabelsFile("dataset.train_labels_path", dataset.TrainLabelsPath, dataset.Format);
            RequireFile("dataset.test_path", dataset.TestPath);
            CheckLabelsFile("dataset.test_labels_path", dataset.TestLabelsPath, dataset.Format);
        }
        Defined("dataset.normalization", dataset.Normalization);
        InRange("dataset.validation_fraction", dataset.ValidationFraction, 0, true, 1, false);
        AtLeast("dataset.label_column", dataset.LabelColumn, 0);
        AtLeast("dataset.num_classes", dataset.NumClasses, 0);
        if (shape is { } data && dataset.NumClasses > 0 && dataset.NumClasses < data.ClassCount)
        {
            Add("dataset.num_classes", $"must be >= {data.ClassCount}, the classes in the training labels, got {dataset.NumClasses}");
        }
    }

    // SHARDS: two shard directories (each with its index.json); the IDX and CSV fields are refused.
    private void CheckShardsDataset(DatasetSpec dataset)
    {
        RequireShardDirectory("dataset.train_path", dataset.TrainPath);
        RequireShardDirectory("dataset.test_path", dataset.TestPath);
        foreach (var (field, set) in new[]
        {
            ("train_labels_path", dataset.TrainLabelsPath.Length > 0), ("test_labels_path", dataset.TestLabelsPath.Length > 0),
            ("label_column", dataset.LabelColumn != 0), ("has_header", dataset.HasHeader),
        })
        {
            if (set)
            {
                Add("dataset." + field, "is unused for SHARDS (targets come from the shards' index.json); remove it");
            }
        }
    }

    private void RequireShardDirectory(string path, string directory)
    {
        if (directory.Length == 0)
        {
            Add(path, "must be set (a shard directory holding index.json)");
        }
        else if (limits.CheckFilesExist && !File.Exists(Data.Shards.ShardIndex.IndexPath(directory)))
        {
            Add(path, $"no shard directory (with {Data.Shards.ShardIndex.FileName}) at {directory}");
        }
    }

    // TEXT: one file or a directory of files whose tail is the test set, cut into windows of ids; the other formats'
    // fields are refused.
    private void CheckTextDataset(DatasetSpec dataset)
    {
        if (dataset.TrainPath.Length == 0)
        {
            Add("dataset.train_path", "must be set (a UTF-8 text file or a directory of them)");
        }
        else if (limits.CheckFilesExist && !File.Exists(dataset.TrainPath) && !Directory.Exists(dataset.TrainPath))
        {
            Add("dataset.train_path", $"file or directory not found: {dataset.TrainPath}{Data.MissingDataHint.For(dataset.TrainPath)}");
        }
        foreach (var (field, set) in new[]
        {
            ("train_labels_path", dataset.TrainLabelsPath.Length > 0), ("test_path", dataset.TestPath.Length > 0),
            ("test_labels_path", dataset.TestLabelsPath.Length > 0), ("label_column", dataset.LabelColumn != 0),
            ("has_header", dataset.HasHeader),
        })
        {
            if (set)
            {
                Add("dataset." + field, "is unused for TEXT (the test set is the corpus's tail, see test_fraction); remove it");
            }
        }

        if (dataset.Normalization is not (DatasetSpec.Types.Normalization.Unspecified or DatasetSpec.Types.Normalization.None))
        {
            Add("dataset.normalization", $"must be NONE or unset for TEXT (the features are character ids), got {ProtoName(dataset.Normalization)}");
        }

        Bounded("dataset.window", dataset.Window, limits.MaxUnitsPerLayer, nameof(JobLimits.MaxUnitsPerLayer));
        AtLeast("dataset.window_stride", dataset.WindowStride, 0);
        if (dataset.HasTestFraction)
        {
            InRange("dataset.test_fraction", dataset.TestFraction, 0, false, 0.5f, true);
        }
        AtLeast("dataset.test_context", dataset.TestContext, 0);
        if (dataset.Window > 0 && dataset.TestContext >= dataset.Window)
        {
            Add("dataset.test_context", $"must be below dataset.window ({dataset.Window}): a test window scores at least one step, got {dataset.TestContext}");
        }

        InRange("dataset.validation_fraction", dataset.ValidationFraction, 0, true, 1, false);
        AtLeast("dataset.num_classes", dataset.NumClasses, 0);
        if (shape is { } data && dataset.NumClasses > 0 && dataset.NumClasses < data.ClassCount)
        {
            Add("dataset.num_classes", $"must be >= {data.ClassCount}, the characters in the text's vocabulary, got {dataset.NumClasses}");
        }
    }

    private void CheckLabelsFile(string path, string file, DatasetSpec.Types.Format format)
    {
        if (format == DatasetSpec.Types.Format.Idx)
        {
            RequireFile(path, file);
        }
        else if (format == DatasetSpec.Types.Format.Csv && file.Length > 0)
        {
            Add(path, "is unused for CSV (labels come from label_column); remove it");
        }
    }

    private int? CheckModel(ModelSpec model) => CheckModel(model, "model", shape?.InputFeatures);

    // Checks one network whose rows have inputFeatures features (null: unknown), from a fresh per-model state, so a
    // GAN job's two networks are checked one after the other with their own limits and paths.
    private int? CheckModel(ModelSpec model, string path, int? inputFeatures)
    {
        modelPath = path;
        layerCount = 0;
        parameterCount = 0;
        parameterCountKnown = shape is not null;
        image = null;
        imageUnknown = false;
        sequenceStep = 0;
        layerNames.Clear();
        if (model.Layers.Count == 0)
        {
            Add(path + ".layers", "must have at least one layer");
            return null;
        }

        var outputs = CheckLayers(model.Layers, path + ".layers", "", 0, inputFeatures);
        if (layerCount > limits.MaxLayers)
        {
            Add(path + ".layers", $"has {layerCount} layers counting nested ones, more than the limit {limits.MaxLayers} (JobLimits.{nameof(JobLimits.MaxLayers)})");
        }

        if (parameterCountKnown && parameterCount > limits.MaxTotalParameters)
        {
            Add(path, $"has {parameterCount:N0} parameters, more than the limit {limits.MaxTotalParameters:N0} (JobLimits.{nameof(JobLimits.MaxTotalParameters)})");
        }

        return outputs;
    }

    // Returns the list's output feature count, or null when it is unknown (no data shape, or a broken layer).
    private int? CheckLayers(RepeatedField<LayerSpec> layers, string path, string parentName, int depth, int? features)
    {
        var firstIndexOfName = new Dictionary<string, int>();
        for (var index = 0; index < layers.Count; index++)
        {
            var layer = layers[index];
            var layerPath = $"{path}[{index}]";
            var name = LayerNaming.EffectiveName(layer, index);
            var namePath = layer.Name.Length > 0 ? layerPath + ".name" : layerPath;
            if (layer.Name.Length > 0 && !LayerNaming.IsValidName(layer.Name))
            {
                Add(namePath, $"\"{layer.Name}\" must hold only letters, digits, '_' and '-'");
            }
            else if (!firstIndexOfName.TryAdd(name, index))
            {
                Add(namePath, $"duplicate layer name \"{name}\" (also {path}[{firstIndexOfName[name]}])");
            }

            var qualifiedName = LayerNaming.QualifiedName(parentName, name);
            layerNames.Add(qualifiedName);
            layerCount++;
            features = CheckShapedLayer(layer, layerPath, qualifiedName, depth, features);
            sequenceStep = SequenceStepAfter(layer, sequenceStep);
        }

        return features;
    }

    private int? CheckLayer(LayerSpec layer, string path, string qualifiedName, int depth, int? features)
    {
        switch (layer.KindCase)
        {
            case LayerSpec.KindOneofCase.Dense:
                return CheckDense(layer.Dense, path + ".dense", features);
            case LayerSpec.KindOneofCase.Activation:
                RequireKind(path + ".activation.kind", layer.Activation.Kind);
                if (layer.Activation.HasNegativeSlope)
                {
                    Finite(path + ".activation.negative_slope", layer.Activation.NegativeSlope);
                }

                if (layer.Activation.Kind == ActivationSpec.Types.Kind.Prelu)
                {
                    AddParameters(features);
                }

                return features;
            case LayerSpec.KindOneofCase.Dropout:
                InRange(path + ".dropout.rate", layer.Dropout.Rate, 0, true, 1, false);
                return features;
            case LayerSpec.KindOneofCase.BatchNorm:
                if (layer.BatchNorm.HasMomentum)
                {
                    InRange(path + ".batch_norm.momentum", layer.BatchNorm.Momentum, 0, false, 1, true);
                }

                if (layer.BatchNorm.HasEpsilon)
                {
                    Positive(path + ".batch_norm.epsilon", layer.BatchNorm.Epsilon);
                }

                AddParameters(2L * features);
                return features;
            case LayerSpec.KindOneofCase.LayerNorm:
                if (layer.LayerNorm.HasEpsilon)
                {
                    Positive(path + ".layer_norm.epsilon", layer.LayerNorm.Epsilon);
                }

                AddParameters(2L * features);
                return features;
            case LayerSpec.KindOneofCase.Residual:
                CheckBody(layer.Residual.Layers, path + ".residual", qualifiedName, depth, features);
                return features;
            case LayerSpec.KindOneofCase.Highway:
                if (layer.Highway.HasGateBias)
                {
                    Finite(path + ".highway.gate_bias", layer.Highway.GateBias);
                }

                // The gate T(x) = sigmoid(x W_T + b_T) is a square dense layer.
                AddParameters(((long?)features * features) + features);
                CheckBody(layer.Highway.Layers, path + ".highway", qualifiedName, depth, features);
                return features;
            case LayerSpec.KindOneofCase.Rnn:
                return CheckRecurrent(layer.Rnn, path + ".rnn", LayerSpec.KindOneofCase.Rnn, features);
            case LayerSpec.KindOneofCase.Lstm:
                return CheckRecurrent(layer.Lstm, path + ".lstm", LayerSpec.KindOneofCase.Lstm, features);
            case LayerSpec.KindOneofCase.Gru:
                return CheckRecurrent(layer.Gru, path + ".gru", LayerSpec.KindOneofCase.Gru, features);
            case LayerSpec.KindOneofCase.Embedding:
                return CheckEmbedding(layer.Embedding, path, features);
            default:
                Add(path, "unknown layer (set one of " + string.Join(", ", LayerSpec.Descriptor.Oneofs[0].Fields.Select(f => f.Name)) + ")");
                parameterCountKnown = false;
                return null;
        }
    }

    // Follows the image shape through one layer: the image kinds check their windows against it and state the next
    // one, the element-wise kinds pass it on (ImageLayerSpecs.KeepsImageShape), every other kind ends it.
    private int? CheckShapedLayer(LayerSpec layer, string path, string qualifiedName, int depth, int? features)
    {
        var imageIn = image;
        var unknownIn = imageUnknown;
        switch (layer.KindCase)
        {
            case LayerSpec.KindOneofCase.Reshape:
                image = CheckReshape(layer.Reshape, path + ".reshape", features);
                imageUnknown = image is null;
                return features;
            case LayerSpec.KindOneofCase.Conv2D:
                return Stated(CheckConv2d(layer.Conv2D, path + ".conv2d", imageIn, unknownIn));
            case LayerSpec.KindOneofCase.ConvTranspose2D:
                return Stated(CheckConvTranspose2d(layer.ConvTranspose2D, path + ".conv_transpose2d", imageIn, unknownIn));
            case LayerSpec.KindOneofCase.MaxPool2D:
                return Stated(CheckPool(layer.MaxPool2D, path + ".max_pool2d", imageIn, unknownIn));
            case LayerSpec.KindOneofCase.AvgPool2D:
                return Stated(CheckPool(layer.AvgPool2D, path + ".avg_pool2d", imageIn, unknownIn));
            case LayerSpec.KindOneofCase.Flatten:
                image = null;
                imageUnknown = false;
                return features;
            case LayerSpec.KindOneofCase.BatchNorm2D:
                if (layer.BatchNorm2D.HasMomentum)
                {
                    InRange(path + ".batch_norm2d.momentum", layer.BatchNorm2D.Momentum, 0, false, 1, true);
                }

                if (layer.BatchNorm2D.HasEpsilon)
                {
                    Positive(path + ".batch_norm2d.epsilon", layer.BatchNorm2D.Epsilon);
                }

                AddParameters(2L * imageIn?.Channels);
                return Stated(RequireImage(path + ".batch_norm2d", imageIn, unknownIn));
            case LayerSpec.KindOneofCase.Dropout2D:
                InRange(path + ".dropout2d.rate", layer.Dropout2D.Rate, 0, true, 1, false);
                return Stated(RequireImage(path + ".dropout2d", imageIn, unknownIn));
            default:
                var outputs = CheckLayer(layer, path, qualifiedName, depth, features);
                var keeps = ImageLayerSpecs.KeepsImageShape(layer.KindCase);
                image = keeps ? imageIn : null;
                imageUnknown = keeps && unknownIn;
                return outputs;
        }
    }

    // An image layer's output: the shape it states, or unknown (its error is reported) with unknown sizes after it.
    private int? Stated(ImageShape? output)
    {
        image = output;
        imageUnknown = output is null;
        if (output is null)
        {
            parameterCountKnown = false;
        }

        return output?.Size;
    }

    private ImageShape? CheckReshape(ReshapeSpec reshape, string path, int? features)
    {
        var sidesValid = AtLeast(path + ".channels", reshape.Channels, 1) & AtLeast(path + ".height", reshape.Height, 1)
            & AtLeast(path + ".width", reshape.Width, 1);
        if (!sidesValid)
        {
            return null;
        }

        var size = (long)reshape.Channels * reshape.Height * reshape.Width;
        var stated = $"{reshape.Channels}x{reshape.Height}x{reshape.Width}";
        if (size > limits.MaxImageFeatures)
        {
            Add(path, $"{stated} holds {size} features, more than {limits.MaxImageFeatures} (JobLimits.{nameof(JobLimits.MaxImageFeatures)})");
            return null;
        }

        if (features is { } inputs && size != inputs)
        {
            Add(path, $"{stated} holds {size} features but the input has {inputs}; channels x height x width must equal it");
            return null;
        }

        return ImageLayerSpecs.Shape(reshape);
    }

    private ImageShape? CheckConv2d(Conv2dSpec conv, string path, ImageShape? input, bool inputUnknown)
    {
        var valid = Bounded(path + ".out_channels", conv.OutChannels, limits.MaxUnitsPerLayer, nameof(JobLimits.MaxUnitsPerLayer));
        valid &= CheckWindowFields(path, conv.Kernel, conv.HasStride ? conv.Stride : null, conv.Padding);
        if (conv.HasDilation)
        {
            valid &= AtLeast(path + ".dilation", conv.Dilation, 1);
        }

        var fanIn = input is { } known && conv.Kernel > 0 ? (long)known.Channels * conv.Kernel * conv.Kernel : (long?)null;
        CheckInitializer(path + ".weight_init", conv.WeightInit, fanIn <= int.MaxValue ? (int?)fanIn : null);
        CheckInitializer(path + ".bias_init", conv.BiasInit, conv.OutChannels > 0 ? conv.OutChannels : null);
        if (RequireImage(path, input, inputUnknown) is not { } shapeIn)
        {
            return null;
        }

        if (!valid)
        {
            return null;
        }

        var output = CheckWindowFits(path, ImageLayerSpecs.Window(conv), shapeIn, conv.OutChannels);
        if (output is not null)
        {
            var weights = (long)conv.OutChannels * fanIn!.Value;
            AddParameters(weights + (ImageLayerSpecs.HasBias(conv) ? conv.OutChannels : 0));
        }

        return output;
    }

    private ImageShape? CheckConvTranspose2d(ConvTranspose2dSpec conv, string path, ImageShape? input, bool inputUnknown)
    {
        var valid = Bounded(path + ".out_channels", conv.OutChannels, limits.MaxUnitsPerLayer, nameof(JobLimits.MaxUnitsPerLayer));
        valid &= CheckWindowFields(path, conv.Kernel, conv.HasStride ? conv.Stride : null, conv.Padding);
        if (conv.HasDilation)
        {
            valid &= AtLeast(path + ".dilation", conv.Dilation, 1);
        }

        var window = ImageLayerSpecs.Window(conv);
        if (AtLeast(path + ".output_padding", conv.OutputPadding, 0) && window.Stride >= 1 && conv.OutputPadding >= window.Stride)
        {
            Add(path + ".output_padding", $"must be < stride ({window.Stride}), got {conv.OutputPadding}");
            valid = false;
        }

        var fanIn = input is { } known && conv.Kernel > 0 ? (long)known.Channels * conv.Kernel * conv.Kernel : (long?)null;
        CheckInitializer(path + ".weight_init", conv.WeightInit, fanIn <= int.MaxValue ? (int?)fanIn : null);
        CheckInitializer(path + ".bias_init", conv.BiasInit, conv.OutChannels > 0 ? conv.OutChannels : null);
        if (RequireImage(path, input, inputUnknown) is not { } shapeIn || !valid || conv.OutputPadding < 0)
        {
            return null;
        }

        long Side(long length) => ((length - 1) * window.Stride) - (2L * window.Padding) + ((long)window.Dilation * (window.Kernel - 1)) + conv.OutputPadding + 1;
        long height = Side(shapeIn.Height), width = Side(shapeIn.Width);
        if (height < 1 || width < 1)
        {
            Add(path + ".padding", $"{window.Padding} removes the whole output of the input {shapeIn} (output {height}x{width})");
            return null;
        }

        if ((long)conv.OutChannels * height * width > limits.MaxImageFeatures)
        {
            Add(path, $"gives {conv.OutChannels}x{height}x{width} features per sample, more than {limits.MaxImageFeatures} (JobLimits.{nameof(JobLimits.MaxImageFeatures)})");
            return null;
        }

        AddParameters(((long)conv.OutChannels * fanIn!.Value) + (ImageLayerSpecs.HasBias(conv) ? conv.OutChannels : 0));
        return new ImageShape(conv.OutChannels, (int)height, (int)width);
    }

    private ImageShape? CheckPool(Pool2dSpec pool, string path, ImageShape? input, bool inputUnknown)
    {
        var valid = CheckWindowFields(path, pool.Kernel, pool.HasStride ? pool.Stride : null, pool.Padding);
        if (valid && pool.Padding > pool.Kernel / 2)
        {
            Add(path + ".padding", $"must be <= kernel / 2 ({pool.Kernel / 2}), got {pool.Padding}");
            valid = false;
        }

        if (RequireImage(path, input, inputUnknown) is not { } shapeIn)
        {
            return null;
        }

        return valid ? CheckWindowFits(path, ImageLayerSpecs.Window(pool), shapeIn, shapeIn.Channels) : null;
    }

    // The image the layer at path works on; reported missing unless an invalid image layer before already was.
    private ImageShape? RequireImage(string path, ImageShape? input, bool inputUnknown)
    {
        if (input is null && !inputUnknown)
        {
            Add(path, "needs an image input: put a reshape (channels, height, width), conv2d or pool before it");
        }

        return input;
    }

    // kernel >= 1, stride (when set) >= 1, padding >= 0, each bounded so window arithmetic cannot overflow.
    private bool CheckWindowFields(string path, int kernel, int? stride, int padding)
    {
        var valid = Bounded(path + ".kernel", kernel, limits.MaxUnitsPerLayer, nameof(JobLimits.MaxUnitsPerLayer));
        if (stride is { } set)
        {
            valid &= Bounded(path + ".stride", set, limits.MaxUnitsPerLayer, nameof(JobLimits.MaxUnitsPerLayer));
        }

        if (AtLeast(path + ".padding", padding, 0) && padding > limits.MaxUnitsPerLayer)
        {
            Add(path + ".padding", $"must be <= {limits.MaxUnitsPerLayer} (JobLimits.{nameof(JobLimits.MaxUnitsPerLayer)}), got {padding}");
            return false;
        }

        return valid && padding >= 0;
    }

    private ImageShape? CheckWindowFits(string path, WindowGeometry window, ImageShape input, int channels)
    {
        var span = ((long)window.Dilation * (window.Kernel - 1)) + 1;
        long paddedHeight = input.Height + (2L * window.Padding), paddedWidth = input.Width + (2L * window.Padding);
        if (span > paddedHeight || span > paddedWidth)
        {
            var what = window.Dilation == 1 ? $"kernel {window.Kernel}" : $"kernel {window.Kernel} with dilation {window.Dilation} (span {span})";
            Add(path + ".kernel", $"{what} is larger than the input {input} padded by {window.Padding} ({paddedHeight}x{paddedWidth})");
            return null;
        }

        var output = new ImageShape(channels, (int)(((paddedHeight - span) / window.Stride) + 1), (int)(((paddedWidth - span) / window.Stride) + 1));
        if ((long)output.Channels * output.Height * output.Width > limits.MaxImageFeatures)
        {
            Add(path, $"gives {output.Channels}x{output.Height}x{output.Width} features per sample, more than {limits.MaxImageFeatures} (JobLimits.{nameof(JobLimits.MaxImageFeatures)})");
            return null;
        }

        return output;
    }

    // path names the layer; the ids it reads come from the data, so only the model's first layer may look them up.
    private int? CheckEmbedding(EmbeddingSpec embedding, string path, int? features)
    {
        var message = path + ".embedding";
        if (path != modelPath + ".layers[0]")
        {
            Add(message, "must be the model's first layer (it reads the character ids of a TEXT data set)");
        }

        var vocabularyValid = Bounded(message + ".vocabulary_size", embedding.VocabularySize, limits.MaxUnitsPerLayer, nameof(JobLimits.MaxUnitsPerLayer));
        var dimensionsValid = Bounded(message + ".dimensions", embedding.Dimensions, limits.MaxUnitsPerLayer, nameof(JobLimits.MaxUnitsPerLayer));
        CheckInitializer(message + ".weight_init", embedding.WeightInit, vocabularyValid ? embedding.VocabularySize : null);
        if (vocabularyValid && shape is { } data && embedding.VocabularySize < data.ClassCount)
        {
            Add(message + ".vocabulary_size", $"must be >= {data.ClassCount}, the characters in the data set's vocabulary, got {embedding.VocabularySize}");
        }

        if (!vocabularyValid || !dimensionsValid)
        {
            parameterCountKnown = false;
            return null;
        }

        AddParameters((long)embedding.VocabularySize * embedding.Dimensions);
        return features * embedding.Dimensions;
    }

    private int? CheckDense(DenseSpec dense, string path, int? features)
    {
        var unitsValid = Bounded(path + ".units", dense.Units, limits.MaxUnitsPerLayer, nameof(JobLimits.MaxUnitsPerLayer));
        InRange(path + ".drop_connect", dense.DropConnect, 0, true, 1, false);
        int? steps = 1;
        if (dense.StepFeatures != 0 && AtLeast(path + ".step_features", dense.StepFeatures, 1))
        {
            steps = null;
            if (sequenceStep is not { } step)
            {
                Add(path + ".step_features", "applies the layer to every time step, but the layer before it gives one vector per sample " +
                    "(sequences come from the model's input, an embedding, a recurrent layer with output SEQUENCE or a dense layer with step_features)");
            }
            else if (step > 0 && dense.StepFeatures != step)
            {
                Add(path + ".step_features", $"must be {step}, the per-step width of the sequence before it, got {dense.StepFeatures}");
            }
            else if (features is { } width)
            {
                if (width % dense.StepFeatures != 0)
                {
                    Add(path + ".step_features", $"must divide the input width {width}, got {dense.StepFeatures}");
                }
                else
                {
                    steps = width / dense.StepFeatures;
                }
            }

            features = dense.StepFeatures;
        }
        else if (dense.StepFeatures < 0)
        {
            steps = null;
        }

        CheckInitializer(path + ".weight_init", dense.WeightInit, features);

        // A bias is initialized as a vector: fan-in and fan-out are its length (see Initializer).
        CheckInitializer(path + ".bias_init", dense.BiasInit, unitsValid ? dense.Units : null);
        if (dense.Units <= 0)
        {
            parameterCountKnown = false;
            return null;
        }

        AddParameters(((long?)features * dense.Units) + dense.Units);
        return steps * dense.Units;
    }

    // path names the rnn, lstm or gru message; features is its input width when known.
    private int? CheckRecurrent(RecurrentSpec recurrent, string path, LayerSpec.KindOneofCase kind, int? features)
    {
        var hiddenValid = Bounded(path + ".hidden_size", recurrent.HiddenSize, limits.MaxUnitsPerLayer, nameof(JobLimits.MaxUnitsPerLayer));
        var inputValid = AtLeast(path + ".input_size", recurrent.InputSize, 1);
        var layersValid = AtLeast(path + ".num_layers", recurrent.NumLayers, 0);
        if (layersValid && recurrent.NumLayers > limits.MaxLayers)
        {
            Add(path + ".num_layers", $"must be <= {limits.MaxLayers} (JobLimits.{nameof(JobLimits.MaxLayers)}), got {recurrent.NumLayers}");
            layersValid = false;
        }

        Defined(path + ".output", recurrent.Output);
        AtLeast(path + ".bptt_steps", recurrent.BpttSteps, 0);
        Defined(path + ".nonlinearity", recurrent.Nonlinearity);
        if (kind != LayerSpec.KindOneofCase.Rnn && recurrent.Nonlinearity != RecurrentSpec.Types.Nonlinearity.Unspecified)
        {
            Add(path + ".nonlinearity", "applies to rnn only (lstm and gru have fixed gate activations); remove it");
        }

        if (recurrent.HasForgetBias)
        {
            if (kind != LayerSpec.KindOneofCase.Lstm)
            {
                Add(path + ".forget_bias", "applies to lstm only (the forget gate); remove it");
            }
            else
            {
                Finite(path + ".forget_bias", recurrent.ForgetBias);
            }
        }

        CheckInitializer(path + ".input_weight_init", recurrent.InputWeightInit, inputValid ? recurrent.InputSize : null);
        CheckInitializer(path + ".recurrent_weight_init", recurrent.RecurrentWeightInit, hiddenValid ? recurrent.HiddenSize : null);
        CheckInitializer(path + ".bias_init", recurrent.BiasInit, null);

        int? steps = null;
        if (sequenceStep is not { } step)
        {
            Add(path, $"{LayerSpec.Descriptor.FindFieldByNumber((int)kind).Name} reads a sequence, but the layer before it gives one vector per sample " +
                "(sequences come from the model's input, an embedding, a recurrent layer with output SEQUENCE or a dense layer with step_features, " +
                "and through activation and dropout layers)");
        }
        else if (step > 0 && inputValid && recurrent.InputSize != step)
        {
            Add(path + ".input_size", $"must be {step}, the per-step width (directions x hidden_size) of the SEQUENCE layer before it, got {recurrent.InputSize}");
        }
        else if (inputValid && features is { } width)
        {
            if (width % recurrent.InputSize != 0)
            {
                Add(path + ".input_size", $"must divide the input width {width} (read as time steps of input_size features), got {recurrent.InputSize}");
            }
            else
            {
                steps = width / recurrent.InputSize;
            }
        }

        if (!hiddenValid || !inputValid || !layersValid)
        {
            parameterCountKnown = false;
            return null;
        }

        long gates = kind switch
        {
            LayerSpec.KindOneofCase.Lstm => 4,
            LayerSpec.KindOneofCase.Gru => 3,
            _ => 1,
        };
        long directions = recurrent.Bidirectional ? 2 : 1;
        long hidden = recurrent.HiddenSize;
        long layers = Math.Max(1, recurrent.NumLayers);
        // Per layer and direction: W_ih (G H, in), W_hh (G H, H), b_ih and b_hh (G H); layers above the first read D H.
        long PerDirection(long inputs) => gates * hidden * (inputs + hidden + 2);
        AddParameters(directions * (PerDirection(recurrent.InputSize) + ((layers - 1) * PerDirection(directions * hidden))));
        var stepOutput = (int)(directions * hidden);
        return recurrent.Output == RecurrentSpec.Types.Output.Sequence ? steps * stepOutput : stepOutput;
    }

    // The sequence state after layer (see sequenceStep): recurrent layers, embeddings and per-step dense layers set
    // it, element-wise layers keep it.
    private static int? SequenceStepAfter(LayerSpec layer, int? before)
    {
        RecurrentSpec? recurrent = layer.KindCase switch
        {
            LayerSpec.KindOneofCase.Rnn => layer.Rnn,
            LayerSpec.KindOneofCase.Lstm => layer.Lstm,
            LayerSpec.KindOneofCase.Gru => layer.Gru,
            _ => null,
        };
        if (recurrent is not null)
        {
            return recurrent.Output == RecurrentSpec.Types.Output.Sequence ? (recurrent.Bidirectional ? 2 : 1) * recurrent.HiddenSize : null;
        }

        return layer.KindCase switch
        {
            LayerSpec.KindOneofCase.Embedding => layer.Embedding.Dimensions,
            LayerSpec.KindOneofCase.Dense when layer.Dense.StepFeatures > 0 => layer.Dense.Units,
            LayerSpec.KindOneofCase.Activation or LayerSpec.KindOneofCase.Dropout => before,
            _ => null,
        };
    }

    // path names the residual or highway message; its body is path + ".layers".
    private void CheckBody(RepeatedField<LayerSpec> body, string path, string qualifiedName, int depth, int? features)
    {
        var listPath = path + ".layers";
        if (body.Count == 0)
        {
            Add(listPath, "must have at least one layer");
            return;
        }

        if (depth + 1 > limits.MaxNestingDepth)
        {
            Add(listPath, $"nesting depth {depth + 1} exceeds the limit {limits.MaxNestingDepth} (JobLimits.{nameof(JobLimits.MaxNestingDepth)})");
            parameterCountKnown = false;
            return;
        }

        var outputs = CheckLayers(body, listPath, qualifiedName, depth + 1, features);
        if (features is { } inputs && outputs is { } produced && produced != inputs)
        {
            Add(path, $"body maps {inputs} features to {produced}; it must keep the feature count");
        }
    }

    private void CheckInitializer(string path, InitializerSpec? init, int? fanIn)
    {
        if (init is null)
        {
            return;
        }

        Defined(path + ".kind", init.Kind);
        Defined(path + ".fan_mode", init.FanMode);
        Finite(path + ".value", init.Value);
        Finite(path + ".mean", init.Mean);
        if (init.HasStd)
        {
            Positive(path + ".std", init.Std);
        }

        if (init.HasGain)
        {
            Positive(path + ".gain", init.Gain);
        }

        if (init.HasLow || init.HasHigh)
        {
            var low = init.HasLow ? init.Low : DefaultUniformLow;
            var high = init.HasHigh ? init.High : DefaultUniformHigh;
            if (Finite(path + ".low", low) && Finite(path + ".high", high) && !(low < high))
            {
                Add(path + ".low", $"must be < high ({Format(high)}), got {Format(low)}");
            }
        }

        if (init.Kind == InitializerSpec.Types.Kind.Sparse)
        {
            if (init.SparseNonzero <= 0)
            {
                Add(path + ".sparse_nonzero", $"must be > 0 for SPARSE, got {init.SparseNonzero}");
            }
            else if (fanIn is { } inputs && init.SparseNonzero > inputs)
            {
                Add(path + ".sparse_nonzero", $"must be <= the fan-in {inputs}, got {init.SparseNonzero}");
            }
        }
    }

    private void CheckLoss(LossSpec loss, ModelSpec model, int? outputs, DatasetSpec dataset)
    {
        RequireKind("loss.kind", loss.Kind);
        var lossName = ProtoName(loss.Kind);
        var layers = model.Layers;

        // The losses take logits and apply softmax or sigmoid themselves; a squashing layer before them squashes twice.
        if (layers.Count > 0 && layers[^1].KindCase == LayerSpec.KindOneofCase.Activation)
        {
            var last = layers[^1].Activation.Kind;
            var squashesTwice = loss.Kind switch
            {
                LossSpec.Types.Kind.SoftmaxCrossEntropy => last == ActivationSpec.Types.Kind.Softmax,
                LossSpec.Types.Kind.BinaryCrossEntropy or LossSpec.Types.Kind.MultiLabelBinaryCrossEntropy => last == ActivationSpec.Types.Kind.Sigmoid,
                _ => false,
            };
            if (squashesTwice)
            {
                Add($"model.layers[{layers.Count - 1}].activation.kind", $"{ProtoName(last)} before {lossName}: the loss expects logits and applies {ProtoName(last)} itself; remove this layer");
            }
        }

        if (outputs is not { } produced || shape is not { } data)
        {
            return;
        }

        // num_classes may exceed the classes seen in training (a class only the test set has); fewer is reported above.
        var classes = Math.Max(dataset.NumClasses, data.ClassCount);
        if (data.Targets != Data.TargetKind.ClassIds && !CheckTargetLoss(loss.Kind, data.Targets))
        {
            return;
        }
        var (needed, why) = loss.Kind switch
        {
            LossSpec.Types.Kind.Mse when data.Targets == Data.TargetKind.Real => ((int?)data.ClassCount, $"one output per target value for {lossName}"),
            LossSpec.Types.Kind.Mse when data.Targets == Data.TargetKind.MultiHot => ((int?)data.ClassCount, $"one output per class for {lossName}"),
            LossSpec.Types.Kind.SoftmaxCrossEntropy or LossSpec.Types.Kind.MultiLabelBinaryCrossEntropy => ((int?)classes, $"one output per class for {lossName}"),
            LossSpec.Types.Kind.BinaryCrossEntropy => (1, $"one logit per sample for {lossName}"),
            _ => (null, ""),
        };
        var steps = dataset.Format == DatasetSpec.Types.Format.Text ? dataset.Window : 1;
        if (steps < 1)
        {
            // dataset.window is reported above; without it the output size is unknown.
            return;
        }

        if (steps > 1 && needed is not null)
        {
            needed *= steps;
            why += $" at each of the window's {steps} steps";
        }

        if (needed is { } expected && produced != expected)
        {
            // Bodies keep the feature count, so the last top-level dense layer sets the model's output size.
            var lastDense = layers.ToList().FindLastIndex(layer => layer.KindCase == LayerSpec.KindOneofCase.Dense);
            var path = lastDense < 0 ? "model.layers" : $"model.layers[{lastDense}].dense.units";
            Add(path, $"the model's output must be {expected} ({why}), got {produced}");
        }
    }

    // Multi-hot targets need a loss over vectors of 0/1 values, real targets MSE; class-id losses cannot read them.
    private bool CheckTargetLoss(LossSpec.Types.Kind loss, Data.TargetKind targets)
    {
        bool fits = targets == Data.TargetKind.Real
            ? loss == LossSpec.Types.Kind.Mse
            : loss is LossSpec.Types.Kind.Mse or LossSpec.Types.Kind.MultiLabelBinaryCrossEntropy;
        if (!fits)
        {
            Add("loss.kind", targets == Data.TargetKind.Real
                ? $"must be MSE for the data set's real-valued targets, got {ProtoName(loss)}"
                : $"must be MULTI_LABEL_BINARY_CROSS_ENTROPY or MSE for the data set's multi-hot targets, got {ProtoName(loss)}");
        }
        return fits;
    }

    private void CheckOptimizer(OptimizerSpec optimizer, string path = "optimizer")
    {
        RequireKind(path + ".kind", optimizer.Kind);
        if (optimizer.HasLearningRate)
        {
            Positive(path + ".learning_rate", optimizer.LearningRate);
        }

        if (optimizer.HasMomentum)
        {
            InRange(path + ".momentum", optimizer.Momentum, 0, true, 1, false);
        }

        if (optimizer.HasBeta1)
        {
            InRange(path + ".beta1", optimizer.Beta1, 0, true, 1, false);
        }

        if (optimizer.HasBeta2)
        {
            InRange(path + ".beta2", optimizer.Beta2, 0, true, 1, false);
        }

        if (optimizer.HasEpsilon)
        {
            Positive(path + ".epsilon", optimizer.Epsilon);
        }

        if (optimizer.HasRho)
        {
            InRange(path + ".rho", optimizer.Rho, 0, true, 1, false);
        }

        if (optimizer.HasWeightDecay)
        {
            AtLeast(path + ".weight_decay", optimizer.WeightDecay, 0);
        }

        if (optimizer.HasInitialAccumulator)
        {
            AtLeast(path + ".initial_accumulator", optimizer.InitialAccumulator, 0);
        }
    }

    private void CheckSchedule(ScheduleSpec? schedule, OptimizerSpec optimizer, DatasetSpec dataset, string path = "schedule",
        string optimizerPath = "optimizer")
    {
        if (schedule is null)
        {
            return;
        }

        Defined(path + ".kind", schedule.Kind);
        if (schedule.Kind == ScheduleSpec.Types.Kind.Step && schedule.StepSize <= 0)
        {
            Add(path + ".step_size", $"must be > 0 for STEP, got {schedule.StepSize}");
        }
        else
        {
            AtLeast(path + ".step_size", schedule.StepSize, 0);
        }

        if (schedule.HasGamma)
        {
            InRange(path + ".gamma", schedule.Gamma, 0, false, 1, true);
        }

        AtLeast(path + ".decay", schedule.Decay, 0);
        AtLeast(path + ".min_lr", schedule.MinLr, 0);
        if (optimizer.HasLearningRate && schedule.MinLr > 0 && schedule.MinLr >= optimizer.LearningRate)
        {
            Add(path + ".min_lr", $"must be < {optimizerPath}.learning_rate ({Format(optimizer.LearningRate)}), got {Format(schedule.MinLr)}");
        }

        AtLeast(path + ".total_steps", schedule.TotalSteps, 0);
        AtLeast(path + ".warmup_steps", schedule.WarmupSteps, 0);
        if (schedule.TotalSteps > 0 && schedule.WarmupSteps > schedule.TotalSteps)
        {
            Add(path + ".warmup_steps", $"must be <= {path}.total_steps ({schedule.TotalSteps}), got {schedule.WarmupSteps}");
        }

        AtLeast(path + ".patience", schedule.Patience, 0);
        if (schedule.HasFactor)
        {
            InRange(path + ".factor", schedule.Factor, 0, false, 1, false);
        }

        if (schedule.HasThreshold)
        {
            AtLeast(path + ".threshold", schedule.Threshold, 0);
        }

        if (schedule.Kind == ScheduleSpec.Types.Kind.Plateau && !(dataset.ValidationFraction > 0))
        {
            Add(path + ".kind", "PLATEAU watches the validation loss and needs validation data: set dataset.validation_fraction > 0");
        }
    }

    private void CheckRegularization(RegularizationSpec? regularization)
    {
        if (regularization is not null)
        {
            AtLeast("regularization.l1", regularization.L1, 0);
            AtLeast("regularization.l2", regularization.L2, 0);
        }
    }

    private void CheckFaultTolerance(FaultToleranceSpec? faultTolerance)
    {
        if (faultTolerance is null)
        {
            return;
        }
        if (faultTolerance.DeadlineFactor != 0f)
        {
            InRange("fault_tolerance.deadline_factor", faultTolerance.DeadlineFactor, 1f, true, 1000f, true);
        }
        AtLeast("fault_tolerance.deadline_floor_seconds", faultTolerance.DeadlineFloorSeconds, 0);
        AtLeast("fault_tolerance.deadline_ceiling_seconds", faultTolerance.DeadlineCeilingSeconds, 0);
        float floor = faultTolerance.DeadlineFloorSeconds > 0f ? faultTolerance.DeadlineFloorSeconds : StepDeadlines.DefaultFloorSeconds;
        if (faultTolerance.DeadlineCeilingSeconds > 0f && faultTolerance.DeadlineCeilingSeconds < floor)
        {
            Add("fault_tolerance.deadline_ceiling_seconds",
                $"must be >= the deadline floor ({Format(floor)} s), got {Format(faultTolerance.DeadlineCeilingSeconds)}");
        }
    }

    private void CheckClipping(ClippingSpec? clipping)
    {
        if (clipping is not null)
        {
            AtLeast("clipping.max_global_norm", clipping.MaxGlobalNorm, 0);
            AtLeast("clipping.clip_value", clipping.ClipValue, 0);
        }
    }

    private void CheckEarlyStopping(EarlyStoppingSpec? stopping, DatasetSpec dataset)
    {
        if (stopping is null)
        {
            return;
        }

        Defined("early_stopping.metric", stopping.Metric);
        AtLeast("early_stopping.patience", stopping.Patience, 0);
        AtLeast("early_stopping.min_delta", stopping.MinDelta, 0);
        if (stopping.Patience <= 0)
        {
            return;
        }

        if (stopping.Metric == EarlyStoppingSpec.Types.Metric.Unspecified)
        {
            Add("early_stopping.metric", "must be specified when patience > 0 (one of " + Names<EarlyStoppingSpec.Types.Metric>() + ")");
        }

        if (!(dataset.ValidationFraction > 0))
        {
            Add("early_stopping.patience", "early stopping watches validation data: set dataset.validation_fraction > 0, or patience 0 to disable it");
        }
    }

    private void CheckCheckpoint(CheckpointSpec? checkpoint)
    {
        if (checkpoint is not null)
        {
            AtLeast("checkpoint.every_steps", checkpoint.EverySteps, 0);
            AtLeast("checkpoint.keep", checkpoint.Keep, 0);
        }
    }

    private void CheckWorkers(int minWorkers, int maxWorkers)
    {
        if (AtLeast("min_workers", minWorkers, 0) && minWorkers > limits.MaxWorkers)
        {
            Add("min_workers", $"must be <= {limits.MaxWorkers} (JobLimits.{nameof(JobLimits.MaxWorkers)}), got {minWorkers}");
        }

        if (AtLeast("max_workers", maxWorkers, 0) && maxWorkers > limits.MaxWorkers)
        {
            Add("max_workers", $"must be <= {limits.MaxWorkers} (JobLimits.{nameof(JobLimits.MaxWorkers)}), got {maxWorkers}");
        }
        else if (maxWorkers > 0 && minWorkers > maxWorkers)
        {
            Add("max_workers", $"must be >= min_workers ({minWorkers}) or 0 for no limit, got {maxWorkers}");
        }
    }

    private void CheckTransfer(TransferSpec? transfer)
    {
        if (transfer is null)
        {
            return;
        }

        if (transfer.FromCheckpoint.Length > 0 && limits.CheckFilesExist && !Directory.Exists(transfer.FromCheckpoint))
        {
            Add("transfer.from_checkpoint", $"directory not found: {transfer.FromCheckpoint}");
        }

        if (transfer.ReplaceOutput && transfer.FromCheckpoint.Length == 0)
        {
            Add("transfer.replace_output", "needs transfer.from_checkpoint (there is no loaded output layer to replace)");
        }

        var known = layerNames.ToHashSet();
        for (var index = 0; index < transfer.Freeze.Count; index++)
        {
            var name = transfer.Freeze[index];
            if (!known.Contains(name))
            {
                var closest = ClosestName.Find(name, layerNames);
                var hint = closest is null ? $"the model's layers are {string.Join(", ", layerNames)}" : $"did you mean \"{closest}\"?";
                Add($"transfer.freeze[{index}]", $"no layer named \"{name}\" ({hint})");
            }
        }
    }

    private void AddParameters(long? count)
    {
        if (count is { } known)
        {
            parameterCount += known;
        }
        else
        {
            parameterCountKnown = false;
        }
    }

    private void RequireFile(string path, string file)
    {
        if (file.Length == 0)
        {
            Add(path, "must be set");
        }
        else if (limits.CheckFilesExist && !File.Exists(file))
        {
            Add(path, $"file not found: {file}{Data.MissingDataHint.For(file)}");
        }
    }

    // An enum whose zero value ("unspecified") is not a valid choice.
    private void RequireKind<T>(string path, T value)
        where T : struct, Enum
    {
        if (Convert.ToInt32(value, CultureInfo.InvariantCulture) == 0)
        {
            Add(path, $"must be specified (one of {Names<T>()})");
        }
        else
        {
            Defined(path, value);
        }
    }

    // JSON may carry enum numbers the proto does not define.
    private void Defined<T>(string path, T value)
        where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            Add(path, $"unknown value {Convert.ToInt32(value, CultureInfo.InvariantCulture)} (expected one of {Names<T>()})");
        }
    }

    // value in (0, max]; returns whether it is.
    private bool Bounded(string path, int value, int max, string limitName)
    {
        if (value <= 0)
        {
            Add(path, $"must be > 0, got {value}");
            return false;
        }

        if (value > max)
        {
            Add(path, $"must be <= {max} (JobLimits.{limitName}), got {value}");
            return false;
        }

        return true;
    }

    private bool AtLeast(string path, int value, int min)
    {
        if (value < min)
        {
            Add(path, $"must be >= {min}, got {value}");
            return false;
        }

        return true;
    }

    private void AtLeast(string path, float value, float min)
    {
        if (Finite(path, value) && value < min)
        {
            Add(path, $"must be >= {Format(min)}, got {Format(value)}");
        }
    }

    private void Positive(string path, float value)
    {
        if (Finite(path, value) && value <= 0)
        {
            Add(path, $"must be > 0, got {Format(value)}");
        }
    }

    private void InRange(string path, float value, float low, bool lowInclusive, float high, bool highInclusive)
    {
        if (!Finite(path, value))
        {
            return;
        }

        var inside = (lowInclusive ? value >= low : value > low) && (highInclusive ? value <= high : value < high);
        if (!inside)
        {
            var range = $"{(lowInclusive ? '[' : '(')}{Format(low)}, {Format(high)}{(highInclusive ? ']' : ')')}";
            Add(path, $"must be in {range}, got {Format(value)}");
        }
    }

    private bool Finite(string path, float value)
    {
        if (!float.IsFinite(value))
        {
            Add(path, $"must be finite, got {Format(value)}");
            return false;
        }

        return true;
    }

    private void Add(string path, string reason) => errors.Add(new ValidationError(path, reason));

    private static string Format(float value) => value.ToString(CultureInfo.InvariantCulture);

    // The proto spelling of an enum value (SOFTMAX_CROSS_ENTROPY), which is what spec files use.
    private static string ProtoName<T>(T value)
        where T : struct, Enum =>
        typeof(T).GetField(value.ToString())?.GetCustomAttribute<OriginalNameAttribute>()?.Name ?? value.ToString();

    private static string Names<T>()
        where T : struct, Enum =>
        string.Join(", ", Enum.GetValues<T>().Skip(1).Select(ProtoName));
}
