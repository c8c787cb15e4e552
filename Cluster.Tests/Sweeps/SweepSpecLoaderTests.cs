using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Sweeps;
using Xunit;

namespace DistributedTrainer.Tests.Sweeps;

public class SweepSpecLoaderTests
{
    private const string Yaml = """
        base:
          epochs: 3
        parameters:
          - path: optimizer.kind
            choice: { values: [ADAM, SGD] }
          - path: batch_size
            grid: { values: [64, 128] }
          - path: optimizer.learning_rate
            log_uniform: { min: 1.0e-4, max: 1.0e-2 }
        objective: { metric: validation_loss, goal: MINIMIZE }
        sampler: BAYESIAN
        scheduler: { kind: ASHA, grace_period: 1, reduction_factor: 3 }
        max_trials: 24
        seed: 7
        """;

    [Fact]
    public void Parse_Yaml_ReadsValuesOfEveryKind()
    {
        var spec = SweepSpecLoader.Parse(Yaml, SpecFormat.Yaml);

        Assert.Equal(("ADAM", 128.0, 1e-4, SweepSpec.Types.Sampler.Bayesian, SchedulerSpec.Types.Kind.Asha, 7UL),
            (spec.Parameters[0].Choice.Values[0].StringValue, spec.Parameters[1].Grid.Values[1].NumberValue, spec.Parameters[2].LogUniform.Min,
                spec.Sampler, spec.Scheduler.Kind, spec.Seed));
    }

    [Fact]
    public void Parse_UnknownField_ThrowsWithPath()
    {
        var error = Assert.Throws<JobSpecException>(() => SweepSpecLoader.Parse("max_trial: 3", SpecFormat.Yaml));

        Assert.Equal("max_trial", Assert.Single(error.Errors).FieldPath);
        Assert.StartsWith("Invalid sweep spec", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFile_RelativeDataPath_ResolvesAgainstTheFile()
    {
        string directory = Directory.CreateTempSubdirectory("sweep-loader-").FullName;
        try
        {
            string path = Path.Combine(directory, "my-sweep.yaml");
            File.WriteAllText(path, "base: { dataset: { train_path: data/train.idx } }");

            var spec = SweepSpecLoader.LoadFile(path);

            Assert.Equal((Path.Combine(directory, "data", "train.idx"), "my-sweep"), (spec.Base.Dataset.TrainPath, spec.Name));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
