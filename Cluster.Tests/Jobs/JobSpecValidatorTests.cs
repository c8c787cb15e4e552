using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using Xunit;
using Activation = DistributedTrainer.Protos.V1.ActivationSpec.Types.Kind;
using Init = DistributedTrainer.Protos.V1.InitializerSpec.Types.Kind;
using LossKind = DistributedTrainer.Protos.V1.LossSpec.Types.Kind;
using ScheduleKind = DistributedTrainer.Protos.V1.ScheduleSpec.Types.Kind;

namespace DistributedTrainer.Tests.Jobs;

public class JobSpecValidatorTests
{
    // The validator only checks that files exist, so the test assembly stands in for every dataset file.
    private static readonly string ExistingFile = typeof(JobSpecValidatorTests).Assembly.Location;
    private static readonly string MissingFile = Path.Combine(Path.GetTempPath(), "no-such-dir-7f3a", "train.idx");
    private static readonly DataShape FashionMnist = new(784, 10);

    // Each case is one small change to ValidSpec() and the one error it must cause.
    private static readonly Dictionary<string, InvalidCase> InvalidCases = new()
    {
        ["dataset format unspecified"] = new(s => s.Dataset.Format = DatasetSpec.Types.Format.Unspecified, "dataset.format", "must be specified"),
        ["train path empty"] = new(s => s.Dataset.TrainPath = "", "dataset.train_path", "must be set"),
        ["test path empty"] = new(s => s.Dataset.TestPath = "", "dataset.test_path", "must be set"),
        ["IDX train labels path empty"] = new(s => s.Dataset.TrainLabelsPath = "", "dataset.train_labels_path", "must be set"),
        ["train file missing"] = new(s => s.Dataset.TrainPath = MissingFile, "dataset.train_path", "file not found"),
        ["IDX test labels file missing"] = new(s => s.Dataset.TestLabelsPath = MissingFile, "dataset.test_labels_path", "file not found"),
        ["CSV with a labels path"] = new(
            s =>
            {
                s.Dataset.Format = DatasetSpec.Types.Format.Csv;
                s.Dataset.TestLabelsPath = "";
            },
            "dataset.train_labels_path",
            "unused for CSV"),
        ["SHARDS with a labels path"] = new(
            s =>
            {
                s.Dataset.Format = DatasetSpec.Types.Format.Shards;
                s.Dataset.TestLabelsPath = "";
            },
            "dataset.train_labels_path",
            "is unused for SHARDS"),
        ["SHARDS train directory missing"] = new(
            s =>
            {
                s.Dataset.Format = DatasetSpec.Types.Format.Shards;
                (s.Dataset.TrainLabelsPath, s.Dataset.TestLabelsPath, s.Dataset.TrainPath) = ("", "", MissingFile);
            },
            "dataset.train_path",
            "no shard directory (with index.json) at "),
        ["normalization undefined"] = new(s => s.Dataset.Normalization = (DatasetSpec.Types.Normalization)99, "dataset.normalization", "unknown value 99"),
        ["validation fraction 1"] = new(s => s.Dataset.ValidationFraction = 1, "dataset.validation_fraction", "must be in [0, 1), got 1"),
        ["validation fraction negative"] = new(
            s =>
            {
                s.Dataset.ValidationFraction = -0.1f;
                s.EarlyStopping.Patience = 0;
            },
            "dataset.validation_fraction",
            "got -0.1"),
        ["window on IDX"] = new(s => s.Dataset.Window = 8, "dataset.window", "applies to format TEXT only; remove it"),
        ["label column negative"] = new(s => s.Dataset.LabelColumn = -1, "dataset.label_column", "must be >= 0, got -1"),
        ["num classes negative"] = new(s => s.Dataset.NumClasses = -1, "dataset.num_classes", "must be >= 0, got -1"),
        ["num classes below the data's"] = new(s => s.Dataset.NumClasses = 5, "dataset.num_classes", "must be >= 10"),
        ["no layers"] = new(s => s.Model.Layers.Clear(), "model.layers", "at least one layer"),
        ["layer without kind"] = new(s => s.Model.Layers.Insert(1, new LayerSpec()), "model.layers[1]", "unknown layer"),
        ["dense units negative"] = new(s => s.Model.Layers[2].Dense.Units = -4, "model.layers[2].dense.units", "must be > 0, got -4"),
        ["dense units over limit"] = new(s => s.Model.Layers[0].Dense.Units = 70000, "model.layers[0].dense.units", "must be <= 65536"),
        ["drop connect 1"] = new(s => s.Model.Layers[0].Dense.DropConnect = 1, "model.layers[0].dense.drop_connect", "must be in [0, 1)"),
        ["activation kind unspecified"] = new(s => s.Model.Layers[1].Activation.Kind = Activation.Unspecified, "model.layers[1].activation.kind", "must be specified"),
        ["negative slope NaN"] = new(
            s => s.Model.Layers[1].Activation = new ActivationSpec { Kind = Activation.LeakyRelu, NegativeSlope = float.NaN },
            "model.layers[1].activation.negative_slope",
            "must be finite"),
        ["dropout rate 1"] = new(s => s.Model.Layers.Insert(2, new LayerSpec { Dropout = new DropoutSpec { Rate = 1 } }), "model.layers[2].dropout.rate", "must be in [0, 1)"),
        ["batch norm momentum 0"] = new(
            s => s.Model.Layers.Insert(1, new LayerSpec { BatchNorm = new BatchNormSpec { Momentum = 0 } }),
            "model.layers[1].batch_norm.momentum",
            "must be in (0, 1], got 0"),
        ["batch norm epsilon 0"] = new(
            s => s.Model.Layers.Insert(1, new LayerSpec { BatchNorm = new BatchNormSpec { Epsilon = 0 } }),
            "model.layers[1].batch_norm.epsilon",
            "must be > 0, got 0"),
        ["layer norm epsilon negative"] = new(
            s => s.Model.Layers.Insert(1, new LayerSpec { LayerNorm = new LayerNormSpec { Epsilon = -1e-5f } }),
            "model.layers[1].layer_norm.epsilon",
            "must be > 0"),
        ["residual body empty"] = new(s => s.Model.Layers.Insert(2, new LayerSpec { Residual = new ResidualSpec() }), "model.layers[2].residual.layers", "at least one layer"),
        ["highway body empty"] = new(s => s.Model.Layers.Insert(2, new LayerSpec { Highway = new HighwaySpec() }), "model.layers[2].highway.layers", "at least one layer"),
        ["residual body changes features"] = new(
            s => s.Model.Layers.Insert(2, new LayerSpec { Residual = new ResidualSpec { Layers = { Dense(null, 16) } } }),
            "model.layers[2].residual",
            "maps 32 features to 16"),
        ["highway body changes features"] = new(
            s => s.Model.Layers.Insert(2, new LayerSpec { Highway = new HighwaySpec { Layers = { Dense(null, 8) } } }),
            "model.layers[2].highway",
            "maps 32 features to 8"),
        ["nesting deeper than the limit"] = new(
            s => s.Model.Layers.Insert(2, new LayerSpec { Residual = new ResidualSpec { Layers = { new LayerSpec { Residual = new ResidualSpec { Layers = { Act(Activation.Relu) } } } } } }),
            "model.layers[2].residual.layers[0].residual.layers",
            "nesting depth 2 exceeds the limit 1",
            JobLimits.Default with { MaxNestingDepth = 1 }),
        ["more layers than the limit"] = new(
            s => s.Model.Layers.Insert(1, new LayerSpec { Dropout = new DropoutSpec { Rate = 0.5f } }),
            "model.layers",
            "has 4 layers",
            JobLimits.Default with { MaxLayers = 3 }),
        ["more parameters than the limit"] = new(_ => { }, "model", "has 25,450 parameters", JobLimits.Default with { MaxTotalParameters = 1000 }),
        ["duplicate layer names"] = new(s => s.Model.Layers[2].Name = "hidden", "model.layers[2].name", "duplicate layer name \"hidden\""),
        ["name taken by a default name"] = new(s => s.Model.Layers[0].Name = "activation1", "model.layers[1]", "duplicate layer name \"activation1\""),
        ["name with a dot"] = new(s => s.Model.Layers[0].Name = "a.b", "model.layers[0].name", "letters, digits"),
        ["weight init std 0"] = new(
            s => s.Model.Layers[0].Dense.WeightInit = new InitializerSpec { Kind = Init.Normal, Std = 0 },
            "model.layers[0].dense.weight_init.std",
            "must be > 0, got 0"),
        ["weight init low above default high"] = new(
            s => s.Model.Layers[0].Dense.WeightInit = new InitializerSpec { Kind = Init.Uniform, Low = 0.1f },
            "model.layers[0].dense.weight_init.low",
            "must be < high (0.05), got 0.1"),
        ["sparse init without nonzero count"] = new(
            s => s.Model.Layers[0].Dense.WeightInit = new InitializerSpec { Kind = Init.Sparse },
            "model.layers[0].dense.weight_init.sparse_nonzero",
            "must be > 0 for SPARSE"),
        ["sparse init above fan-in"] = new(
            s => s.Model.Layers[0].Dense.WeightInit = new InitializerSpec { Kind = Init.Sparse, SparseNonzero = 1000 },
            "model.layers[0].dense.weight_init.sparse_nonzero",
            "must be <= the fan-in 784, got 1000"),
        ["init gain 0"] = new(
            s => s.Model.Layers[2].Dense.WeightInit = new InitializerSpec { Kind = Init.XavierUniform, Gain = 0 },
            "model.layers[2].dense.weight_init.gain",
            "must be > 0"),
        ["bias init kind undefined"] = new(
            s => s.Model.Layers[2].Dense.BiasInit = new InitializerSpec { Kind = (Init)99 },
            "model.layers[2].dense.bias_init.kind",
            "unknown value 99"),
        ["output size not the class count"] = new(s => s.Model.Layers[2].Dense.Units = 12, "model.layers[2].dense.units", "must be 10 (one output per class for SOFTMAX_CROSS_ENTROPY), got 12"),
        ["binary cross-entropy with 10 outputs"] = new(s => s.Loss.Kind = LossKind.BinaryCrossEntropy, "model.layers[2].dense.units", "must be 1"),
        ["multi-label with 3 outputs"] = new(
            s =>
            {
                s.Loss.Kind = LossKind.MultiLabelBinaryCrossEntropy;
                s.Model.Layers[2].Dense.Units = 3;
            },
            "model.layers[2].dense.units",
            "must be 10"),
        ["softmax before softmax cross-entropy"] = new(s => s.Model.Layers.Add(Act(Activation.Softmax)), "model.layers[3].activation.kind", "expects logits"),
        ["sigmoid before binary cross-entropy"] = new(
            s =>
            {
                s.Loss.Kind = LossKind.BinaryCrossEntropy;
                s.Model.Layers[2].Dense.Units = 1;
                s.Model.Layers.Add(Act(Activation.Sigmoid));
            },
            "model.layers[3].activation.kind",
            "SIGMOID before BINARY_CROSS_ENTROPY"),
        ["loss kind unspecified"] = new(s => s.Loss.Kind = LossKind.Unspecified, "loss.kind", "must be specified"),
        ["optimizer kind unspecified"] = new(s => s.Optimizer.Kind = OptimizerSpec.Types.Kind.Unspecified, "optimizer.kind", "must be specified"),
        ["learning rate 0"] = new(s => s.Optimizer.LearningRate = 0, "optimizer.learning_rate", "must be > 0, got 0"),
        ["learning rate infinite"] = new(s => s.Optimizer.LearningRate = float.PositiveInfinity, "optimizer.learning_rate", "must be finite"),
        ["momentum 1"] = new(s => s.Optimizer.Momentum = 1, "optimizer.momentum", "must be in [0, 1), got 1"),
        ["beta1 1.2"] = new(s => s.Optimizer.Beta1 = 1.2f, "optimizer.beta1", "must be in [0, 1), got 1.2"),
        ["beta2 negative"] = new(s => s.Optimizer.Beta2 = -0.1f, "optimizer.beta2", "must be in [0, 1)"),
        ["optimizer epsilon 0"] = new(s => s.Optimizer.Epsilon = 0, "optimizer.epsilon", "must be > 0"),
        ["rho 1"] = new(s => s.Optimizer.Rho = 1, "optimizer.rho", "must be in [0, 1)"),
        ["weight decay negative"] = new(s => s.Optimizer.WeightDecay = -1, "optimizer.weight_decay", "must be >= 0, got -1"),
        ["initial accumulator negative"] = new(s => s.Optimizer.InitialAccumulator = -0.5f, "optimizer.initial_accumulator", "must be >= 0"),
        ["STEP without step size"] = new(s => s.Schedule.Kind = ScheduleKind.Step, "schedule.step_size", "must be > 0 for STEP"),
        ["gamma 0"] = new(s => s.Schedule.Gamma = 0, "schedule.gamma", "must be in (0, 1], got 0"),
        ["gamma above 1"] = new(s => s.Schedule.Gamma = 1.5f, "schedule.gamma", "got 1.5"),
        ["decay negative"] = new(s => s.Schedule.Decay = -1, "schedule.decay", "must be >= 0"),
        ["min lr negative"] = new(s => s.Schedule.MinLr = -1e-5f, "schedule.min_lr", "must be >= 0"),
        ["min lr not below lr"] = new(s => s.Schedule.MinLr = 0.01f, "schedule.min_lr", "must be < optimizer.learning_rate (0.001)"),
        ["warm-up negative"] = new(s => s.Schedule.WarmupSteps = -1, "schedule.warmup_steps", "must be >= 0"),
        ["warm-up longer than the schedule"] = new(
            s =>
            {
                s.Schedule.TotalSteps = 100;
                s.Schedule.WarmupSteps = 200;
            },
            "schedule.warmup_steps",
            "must be <= schedule.total_steps (100)"),
        ["PLATEAU without validation data"] = new(
            s =>
            {
                s.Schedule.Kind = ScheduleKind.Plateau;
                s.Dataset.ValidationFraction = 0;
                s.EarlyStopping.Patience = 0;
            },
            "schedule.kind",
            "dataset.validation_fraction > 0"),
        ["schedule patience negative"] = new(s => s.Schedule.Patience = -1, "schedule.patience", "must be >= 0"),
        ["plateau factor 1"] = new(s => s.Schedule.Factor = 1, "schedule.factor", "must be in (0, 1), got 1"),
        ["l1 negative"] = new(s => s.Regularization.L1 = -1, "regularization.l1", "must be >= 0"),
        ["l2 NaN"] = new(s => s.Regularization.L2 = float.NaN, "regularization.l2", "must be finite"),
        ["max global norm negative"] = new(s => s.Clipping.MaxGlobalNorm = -1, "clipping.max_global_norm", "must be >= 0"),
        ["clip value negative"] = new(s => s.Clipping.ClipValue = -0.5f, "clipping.clip_value", "must be >= 0"),
        ["batch size 0"] = new(s => s.BatchSize = 0, "batch_size", "must be > 0, got 0"),
        ["batch size over limit"] = new(s => s.BatchSize = 70000, "batch_size", "must be <= 65536"),
        ["epochs 0"] = new(s => s.Epochs = 0, "epochs", "must be > 0, got 0"),
        ["epochs over limit"] = new(s => s.Epochs = 10001, "epochs", "must be <= 10000"),
        ["early stopping patience negative"] = new(s => s.EarlyStopping.Patience = -1, "early_stopping.patience", "must be >= 0"),
        ["early stopping without metric"] = new(s => s.EarlyStopping.Metric = EarlyStoppingSpec.Types.Metric.Unspecified, "early_stopping.metric", "must be specified when patience > 0"),
        ["early stopping without validation data"] = new(s => s.Dataset.ValidationFraction = 0, "early_stopping.patience", "dataset.validation_fraction > 0"),
        ["early stopping min delta negative"] = new(s => s.EarlyStopping.MinDelta = -0.1f, "early_stopping.min_delta", "must be >= 0"),
        ["checkpoint every steps negative"] = new(s => s.Checkpoint.EverySteps = -1, "checkpoint.every_steps", "must be >= 0"),
        ["checkpoint keep negative"] = new(s => s.Checkpoint.Keep = -1, "checkpoint.keep", "must be >= 0"),
        ["min workers negative"] = new(s => s.MinWorkers = -1, "min_workers", "must be >= 0"),
        ["max workers negative"] = new(s => s.MaxWorkers = -1, "max_workers", "must be >= 0"),
        ["min workers above max workers"] = new(s => s.MinWorkers = 5, "max_workers", "must be >= min_workers (5)"),
        ["max workers over limit"] = new(s => s.MaxWorkers = 2000, "max_workers", "must be <= 1024"),
        ["deadline factor below 1"] = new(s => s.FaultTolerance = new FaultToleranceSpec { DeadlineFactor = 0.5f }, "fault_tolerance.deadline_factor", "must be in [1, 1000]"),
        ["deadline floor negative"] = new(s => s.FaultTolerance = new FaultToleranceSpec { DeadlineFloorSeconds = -1 }, "fault_tolerance.deadline_floor_seconds", "must be >= 0"),
        ["deadline ceiling below floor"] = new(
            s => s.FaultTolerance = new FaultToleranceSpec { DeadlineFloorSeconds = 5, DeadlineCeilingSeconds = 3 },
            "fault_tolerance.deadline_ceiling_seconds",
            "must be >= the deadline floor (5 s), got 3"),
        ["min workers over limit"] = new(
            s =>
            {
                s.MinWorkers = 2000;
                s.MaxWorkers = 0;
            },
            "min_workers",
            "must be <= 1024"),
        ["freeze names no layer"] = new(s => s.Transfer = new TransferSpec { Freeze = { "hiden" } }, "transfer.freeze[0]", "no layer named \"hiden\" (did you mean \"hidden\"?)"),
        ["replace output without checkpoint"] = new(s => s.Transfer = new TransferSpec { ReplaceOutput = true }, "transfer.replace_output", "needs transfer.from_checkpoint"),
        ["checkpoint directory missing"] = new(s => s.Transfer = new TransferSpec { FromCheckpoint = MissingFile }, "transfer.from_checkpoint", "directory not found"),
    };

    public static TheoryData<string> InvalidCaseNames() => new(InvalidCases.Keys);

    [Theory]
    [MemberData(nameof(InvalidCaseNames))]
    public void Validate_InvalidSpec_ReportsFieldPathAndReason(string caseName)
    {
        var invalid = InvalidCases[caseName];
        var spec = ValidSpec();
        invalid.Mutate(spec);

        var result = JobSpecValidator.Validate(spec, invalid.Limits ?? JobLimits.Default, FashionMnist);

        var error = Assert.Single(result.Errors);
        Assert.Equal(invalid.Path, error.FieldPath);
        Assert.Contains(invalid.Reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BaseSpec_IsValid()
    {
        var result = JobSpecValidator.Validate(ValidSpec(), JobLimits.Default, FashionMnist);

        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Validate_FreezeNamesNestedLayer_IsValid()
    {
        var spec = ValidSpec();
        spec.Model.Layers.Insert(2, new LayerSpec { Name = "block", Residual = new ResidualSpec { Layers = { Dense("fc", 32) } } });
        spec.Transfer = new TransferSpec { Freeze = { "hidden", "block", "block.fc" } };

        var result = JobSpecValidator.Validate(spec, JobLimits.Default, FashionMnist);

        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Validate_NoDataShape_SkipsShapeChecks()
    {
        var spec = ValidSpec();
        spec.Model.Layers[2].Dense.Units = 12;

        var result = JobSpecValidator.Validate(spec, JobLimits.Default);

        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Validate_FileChecksOff_AcceptsMissingFiles()
    {
        var spec = ValidSpec();
        spec.Dataset.TrainPath = MissingFile;

        var result = JobSpecValidator.Validate(spec, JobLimits.Default with { CheckFilesExist = false }, FashionMnist);

        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Validate_SeveralProblems_ReportsEveryOneInFieldOrder()
    {
        var spec = ValidSpec();
        spec.Model.Layers[0].Dense.Units = -4;
        spec.Optimizer.Beta1 = 1.2f;
        spec.BatchSize = 0;

        var result = JobSpecValidator.Validate(spec, JobLimits.Default, FashionMnist);

        Assert.Equal(
            "model.layers[0].dense.units: must be > 0, got -4\noptimizer.beta1: must be in [0, 1), got 1.2\nbatch_size: must be > 0, got 0",
            result.ToString());
    }

    [Fact]
    public void ThrowIfInvalid_InvalidSpec_ThrowsWithEveryError()
    {
        var spec = ValidSpec();
        spec.Epochs = 0;
        spec.BatchSize = 0;
        var result = JobSpecValidator.Validate(spec, JobLimits.Default, FashionMnist);

        var exception = Assert.Throws<JobSpecException>(result.ThrowIfInvalid);

        Assert.Equal(["batch_size", "epochs"], exception.Errors.Select(e => e.FieldPath));
    }

    [Fact]
    public void Validate_ShapeWithoutFeatures_Throws()
    {
        Assert.Throws<ArgumentException>(() => JobSpecValidator.Validate(ValidSpec(), JobLimits.Default, new DataShape(0, 10)));
    }

    /// <summary>784 -> hidden (32) -> relu -> out (10), Adam, early stopping on a 10% validation split.</summary>
    internal static JobSpec ValidSpec() => new()
    {
        Name = "base",
        Dataset = new DatasetSpec
        {
            Format = DatasetSpec.Types.Format.Idx,
            TrainPath = ExistingFile,
            TrainLabelsPath = ExistingFile,
            TestPath = ExistingFile,
            TestLabelsPath = ExistingFile,
            Normalization = DatasetSpec.Types.Normalization.Scale,
            ValidationFraction = 0.1f,
            NumClasses = 10,
        },
        Model = new ModelSpec { Layers = { Dense("hidden", 32), Act(Activation.Relu), Dense("out", 10) } },
        Loss = new LossSpec { Kind = LossKind.SoftmaxCrossEntropy },
        Optimizer = new OptimizerSpec { Kind = OptimizerSpec.Types.Kind.Adam, LearningRate = 1e-3f },
        Schedule = new ScheduleSpec { Kind = ScheduleKind.Constant },
        Regularization = new RegularizationSpec(),
        Clipping = new ClippingSpec { MaxGlobalNorm = 1 },
        BatchSize = 64,
        Epochs = 2,
        EarlyStopping = new EarlyStoppingSpec { Metric = EarlyStoppingSpec.Types.Metric.ValidationLoss, Patience = 2 },
        Checkpoint = new CheckpointSpec { Keep = 3 },
        Seed = 1,
        MinWorkers = 1,
        MaxWorkers = 4,
    };

    private static LayerSpec Dense(string? name, int units) => new() { Name = name ?? "", Dense = new DenseSpec { Units = units } };

    private static LayerSpec Act(Activation kind) => new() { Activation = new ActivationSpec { Kind = kind } };

    private sealed record InvalidCase(Action<JobSpec> Mutate, string Path, string Reason, JobLimits? Limits = null);
}
