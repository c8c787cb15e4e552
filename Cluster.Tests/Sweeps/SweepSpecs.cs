using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Jobs;
using Google.Protobuf.WellKnownTypes;

namespace DistributedTrainer.Tests.Sweeps;

/// <summary>Sweep specs for tests: the job validator's valid spec as the base, with a dropout layer to vary.</summary>
internal static class SweepSpecs
{
    /// <summary>hidden (32) -> relu -> dropout (0.2) -> out (10); learning rate, width, dropout and batch varied at random.</summary>
    public static SweepSpec Valid()
    {
        var baseSpec = JobSpecValidatorTests.ValidSpec();
        baseSpec.Model.Layers.Insert(2, new LayerSpec { Dropout = new DropoutSpec { Rate = 0.2f } });
        baseSpec.Epochs = 9;
        return new SweepSpec
        {
            Name = "test-sweep",
            Base = baseSpec,
            Parameters =
            {
                new ParameterSpec { Path = "optimizer.learning_rate", LogUniform = new RangeSpec { Min = 1e-4, Max = 1e-2 } },
                new ParameterSpec { Path = "model.layers[hidden].dense.units", Choice = Values(128, 256, 512) },
                new ParameterSpec { Path = "model.layers[2].dropout.rate", Uniform = new RangeSpec { Min = 0, Max = 0.5 } },
                new ParameterSpec { Path = "batch_size", Choice = Values(64, 128, 256) },
            },
            Objective = new ObjectiveSpec { Metric = "test_accuracy" },
            Sampler = SweepSpec.Types.Sampler.Random,
            MaxTrials = 24,
            MaxConcurrentTrials = 2,
            Seed = 42,
        };
    }

    public static ValuesSpec Values(params double[] numbers)
    {
        var values = new ValuesSpec();
        values.Values.AddRange(numbers.Select(Value.ForNumber));
        return values;
    }

    public static ValuesSpec Names(params string[] names)
    {
        var values = new ValuesSpec();
        values.Values.AddRange(names.Select(Value.ForString));
        return values;
    }
}
