using System.Text.Json;
using DistributedTrainer.Numerics.Schedules;
using DistributedTrainer.Protos.V1;
using Xunit;
using Xunit.Abstractions;
using Kind = DistributedTrainer.Protos.V1.ScheduleSpec.Types.Kind;

namespace DistributedTrainer.Tests.Numerics;

public sealed class ScheduleTests(ITestOutputHelper output)
{
    private static readonly JsonElement Golden = GoldenFiles.Load("schedules.json");
    private static readonly float BaseRate = Golden.GetProperty("base_learning_rate").GetSingle();

    /// <summary>The job-spec message that asks for the golden schedule <paramref name="json"/>.</summary>
    private static ScheduleSpec SpecFor(JsonElement json)
    {
        string name = json.GetProperty("name").GetString()!;
        var spec = new ScheduleSpec
        {
            Kind = name switch
            {
                "step" => Kind.Step,
                "exponential" => Kind.Exponential,
                "inverse_time" => Kind.InverseTime,
                "warmup_constant" => Kind.Constant,
                _ => Kind.Cosine,
            },
        };
        foreach (var property in json.EnumerateObject())
        {
            switch (property.Name)
            {
                case "step_size": spec.StepSize = property.Value.GetInt32(); break;
                case "gamma": spec.Gamma = property.Value.GetSingle(); break;
                case "decay": spec.Decay = property.Value.GetSingle(); break;
                case "total_steps": spec.TotalSteps = property.Value.GetInt32(); break;
                case "min_lr": spec.MinLr = property.Value.GetSingle(); break;
                case "warmup_steps": spec.WarmupSteps = property.Value.GetInt32(); break;
            }
        }
        return spec;
    }

    private static LearningRateSchedule Plateau()
    {
        var plateau = Golden.GetProperty("plateau");
        var spec = new ScheduleSpec
        {
            Kind = Kind.Plateau,
            Factor = plateau.GetProperty("factor").GetSingle(),
            Patience = plateau.GetProperty("patience").GetInt32(),
            Threshold = plateau.GetProperty("threshold").GetSingle(),
            MinLr = plateau.GetProperty("min_lr").GetSingle(),
        };
        return ScheduleFactory.Create(spec, BaseRate, 1000);
    }

    private static double[] PlateauLosses => GoldenFiles.Doubles(Golden.GetProperty("plateau").GetProperty("losses"));

    [Theory]
    [InlineData("step")]
    [InlineData("exponential")]
    [InlineData("inverse_time")]
    [InlineData("cosine")]
    [InlineData("cosine_clamped")]
    [InlineData("warmup_constant")]
    [InlineData("warmup_cosine")]
    public void RateAt_SixtySteps_MatchesPyTorchScheduler(string name)
    {
        var json = GoldenFiles.Named(Golden.GetProperty("schedules"), name);
        var schedule = ScheduleFactory.Create(SpecFor(json), BaseRate, 1000);
        double[] expected = GoldenFiles.Doubles(json.GetProperty("rates"));
        var comparison = new GoldenFiles.Comparison(name);

        double[] actual = [.. Enumerable.Range(0, expected.Length).Select(step => (double)schedule.RateAt(step))];

        comparison.Add(expected, actual, "rate");
        comparison.Report(output);
    }

    [Fact]
    public void OnEpochEnd_GoldenLossSequence_MatchesReduceLROnPlateau()
    {
        var schedule = Plateau();
        double[] expected = GoldenFiles.Doubles(Golden.GetProperty("plateau").GetProperty("rates"));
        var comparison = new GoldenFiles.Comparison("plateau");

        double[] actual = [.. PlateauLosses.Select(loss =>
        {
            schedule.OnEpochEnd(loss);
            return (double)schedule.RateAt(0);
        })];

        comparison.Add(expected, actual, "rate after epoch");
        comparison.Report(output);
    }

    [Fact]
    public void LoadState_PlateauSavedMidway_ContinuesLikeStraightRun()
    {
        var straight = Plateau();
        float[] expected = [.. PlateauLosses.Select(loss => { straight.OnEpochEnd(loss); return straight.RateAt(0); })];
        var first = Plateau();
        foreach (double loss in PlateauLosses.Take(13))
        {
            first.OnEpochEnd(loss);
        }
        double[] saved = first.SaveState();

        var second = Plateau();
        second.LoadState(saved);
        float[] resumed = [.. PlateauLosses.Skip(13).Select(loss => { second.OnEpochEnd(loss); return second.RateAt(0); })];

        Assert.Equal(expected[13..], resumed);
    }

    [Fact]
    public void LoadState_WrongLength_ThrowsInvalidData()
    {
        var schedule = Plateau();

        var exception = Assert.Throws<InvalidDataException>(() => schedule.LoadState([0.1, 1.0]));

        Assert.Contains("has 2 values; expected 3", exception.Message);
    }

    [Fact]
    public void OnEpochEnd_NaNLoss_CountsAsNoImprovement()
    {
        var schedule = new ReduceOnPlateau(0.1f, 0.5f, 0, 1e-4f, 0f);
        schedule.OnEpochEnd(1.0);

        schedule.OnEpochEnd(double.NaN);

        Assert.Equal(0.05f, schedule.RateAt(0));
    }

    [Fact]
    public void OnEpochEnd_ThroughWarmup_ReachesInnerPlateau()
    {
        var schedule = new LinearWarmup(new ReduceOnPlateau(0.1f, 0.5f, 0, 1e-4f, 0f), 4);
        schedule.OnEpochEnd(1.0);

        schedule.OnEpochEnd(2.0);

        Assert.Equal(0.05f, schedule.RateAt(100));
    }

    [Fact]
    public void RateAt_CosineAfterTotalSteps_StaysAtMinimum()
    {
        var schedule = new CosineDecay(0.1f, 50, 0.001f);

        Assert.Equal(0.001f, schedule.RateAt(75));
    }

    [Fact]
    public void RateAt_FirstWarmupStep_IsOneOverWarmupOfRate()
    {
        var schedule = new LinearWarmup(new ConstantRate(0.4f), 4);

        Assert.Equal(0.1f, schedule.RateAt(0));
    }
}
