using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Sweeps;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace DistributedTrainer.Tests.Sweeps;

public class SweepSpecValidatorTests
{
    [Fact]
    public void Validate_ValidSweep_IsValid()
    {
        var result = SweepSpecValidator.Validate(SweepSpecs.Valid(), JobLimits.Default);

        Assert.True(result.IsValid, result.ToString());
    }

    [Theory]
    [InlineData("optimizer.learning_rat", "parameters[0].path", "did you mean \"learning_rate\"")]
    [InlineData("model.layers[7].dense.units", "parameters[0].path", "has no item [7]")]
    [InlineData("model.layers[1].dense.units", "parameters[0].path", "model.layers[1] is a activation, not a dense")]
    [InlineData("model.layers.dense.units", "parameters[0].path", "is a list")]
    [InlineData("optimizer", "parameters[0].path", "is a message (OptimizerSpec)")]
    public void Validate_BadPath_NamesTheParameter(string path, string field, string reason)
    {
        var spec = SweepSpecs.Valid();
        spec.Parameters[0].Path = path;

        var error = Assert.Single(SweepSpecValidator.Validate(spec, JobLimits.Default).Errors);

        Assert.Equal(field, error.FieldPath);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MinAboveMax_NamesMin()
    {
        var spec = SweepSpecs.Valid();
        spec.Parameters[2].Uniform = new RangeSpec { Min = 0.4, Max = 0.1 };

        var error = Assert.Single(SweepSpecValidator.Validate(spec, JobLimits.Default).Errors);

        Assert.Equal("parameters[2].uniform.min", error.FieldPath);
        Assert.Contains("min 0.4 > max 0.1", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_LogRangeTouchingZero_NamesMin()
    {
        var spec = SweepSpecs.Valid();
        spec.Parameters[0].LogUniform = new RangeSpec { Min = 0, Max = 1e-2 };

        var error = Assert.Single(SweepSpecValidator.Validate(spec, JobLimits.Default).Errors);

        Assert.Equal("parameters[0].log_uniform.min", error.FieldPath);
        Assert.Contains("above zero", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_FractionForIntegerField_NamesTheValue()
    {
        var spec = SweepSpecs.Valid();
        spec.Parameters[3].Choice = SweepSpecs.Values(64, 96.5);

        var error = Assert.Single(SweepSpecValidator.Validate(spec, JobLimits.Default).Errors);

        Assert.Equal("parameters[3].choice.values[1]", error.FieldPath);
        Assert.Contains("96.5 is not a whole number", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnknownEnumName_NamesTheValue()
    {
        var spec = SweepSpecs.Valid();
        spec.Parameters.Add(new ParameterSpec { Path = "optimizer.kind", Choice = SweepSpecs.Names("ADAM", "LION") });

        var error = Assert.Single(SweepSpecValidator.Validate(spec, JobLimits.Default).Errors);

        Assert.Equal("parameters[4].choice.values[1]", error.FieldPath);
        Assert.Contains("\"LION\" is not a Kind", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ValueTheJobRefuses_SaysWhyTheTrialIsInvalid()
    {
        var spec = SweepSpecs.Valid();
        spec.Parameters[2].Uniform = new RangeSpec { Min = 0, Max = 1 };

        var error = Assert.Single(SweepSpecValidator.Validate(spec, JobLimits.Default).Errors);

        Assert.Equal("parameters[2].uniform.max", error.FieldPath);
        Assert.Contains("model.layers[2].dropout.rate: must be in [0, 1)", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_GridLargerThanMaxTrials_NamesMaxTrials()
    {
        var spec = SweepSpecs.Valid();
        spec.Sampler = SweepSpec.Types.Sampler.Grid;
        spec.Parameters.RemoveAt(2);
        spec.Parameters.RemoveAt(0);
        spec.Parameters[0].Grid = SweepSpecs.Values(128, 256, 512);
        spec.MaxTrials = 8;

        var error = Assert.Single(SweepSpecValidator.Validate(spec, JobLimits.Default).Errors);

        Assert.Equal("max_trials", error.FieldPath);
        Assert.Contains("the grid has 9 points, more than max_trials 8", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_GridWithRange_NamesTheParameter()
    {
        var spec = SweepSpecs.Valid();
        spec.Sampler = SweepSpec.Types.Sampler.Grid;

        var errors = SweepSpecValidator.Validate(spec, JobLimits.Default).Errors;

        Assert.Contains(errors, error => error.FieldPath == "parameters[0]" && error.Reason.Contains("needs listed values", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ValidationMetricWithoutSplit_NamesTheMetric()
    {
        var spec = SweepSpecs.Valid();
        spec.Base.Dataset.ValidationFraction = 0;
        spec.Base.EarlyStopping = null;
        spec.Objective.Metric = "validation_loss";

        var error = Assert.Single(SweepSpecValidator.Validate(spec, JobLimits.Default).Errors);

        Assert.Equal("objective.metric", error.FieldPath);
    }

    [Fact]
    public void Validate_AshaMaxEpochsBeyondBase_NamesMaxEpochs()
    {
        var spec = SweepSpecs.Valid();
        spec.Scheduler = new SchedulerSpec { Kind = SchedulerSpec.Types.Kind.Asha, MaxEpochs = 20 };

        var error = Assert.Single(SweepSpecValidator.Validate(spec, JobLimits.Default).Errors);

        Assert.Equal("scheduler.max_epochs", error.FieldPath);
    }

    [Fact]
    public void Validate_BaseSpecInvalid_PrefixesBase()
    {
        var spec = SweepSpecs.Valid();
        spec.Base.BatchSize = -1;
        spec.Parameters.RemoveAt(3);

        var error = Assert.Single(SweepSpecValidator.Validate(spec, JobLimits.Default).Errors);

        Assert.Equal("base.batch_size", error.FieldPath);
    }

    [Fact]
    public void Plan_DefaultsUnset_AppliesDocumentedDefaults()
    {
        var spec = SweepSpecs.Valid();
        spec.Sampler = SweepSpec.Types.Sampler.Unspecified;
        spec.MaxConcurrentTrials = 0;
        spec.Objective = null;

        var plan = SweepSpecValidator.Plan(spec, JobLimits.Default);

        Assert.Equal((SweepSpec.Types.Sampler.Random, 1, "maximize test_accuracy", 9),
            (plan.Sampler, plan.MaxConcurrentTrials, plan.Objective.ToString(), plan.Scheduler.MaxEpochs));
    }

    [Fact]
    public void TrialSpec_AnySampledPoint_PassesTheJobValidator()
    {
        var plan = SweepSpecValidator.Plan(SweepSpecs.Valid(), JobLimits.Default);

        Prop.ForAll(ArbMap.Default.ArbFor<ulong>(), ArbMap.Default.ArbFor<byte>(), (seed, trial) =>
        {
            var spec = plan with { Seed = seed };
            var trialSpec = spec.TrialSpec(trial, spec.CreateSampler().Sample(trial, []));
            return JobSpecValidator.Validate(trialSpec, JobLimits.Default).IsValid;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void TrialSpec_Point_WritesEveryParameter()
    {
        var plan = SweepSpecValidator.Plan(SweepSpecs.Valid(), JobLimits.Default);

        var spec = plan.TrialSpec(7, [Google.Protobuf.WellKnownTypes.Value.ForNumber(0.003), Google.Protobuf.WellKnownTypes.Value.ForNumber(256),
            Google.Protobuf.WellKnownTypes.Value.ForNumber(0.25), Google.Protobuf.WellKnownTypes.Value.ForNumber(128)]);

        Assert.Equal((0.003f, 256, 0.25f, 128, "test-sweep-trial-007"),
            (spec.Optimizer.LearningRate, spec.Model.Layers[0].Dense.Units, spec.Model.Layers[2].Dropout.Rate, spec.BatchSize, spec.Name));
    }
}
