using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Sweeps;
using Xunit;

namespace DistributedTrainer.Tests.Sweeps;

public class TpeSamplerTests
{
    private static readonly SweepPlan Plan = SweepSpecValidator.Plan(Bayesian(), JobLimits.Default);

    [Fact]
    public void TrialsNeededBefore_AfterStartup_TrailsByTheConcurrency()
    {
        var sampler = new TpeSampler(Plan.Parameters, Plan.Objective, 1, startupTrials: 5, concurrency: 2);

        Assert.Equal((0, 0, 4, 9), (sampler.TrialsNeededBefore(0), sampler.TrialsNeededBefore(4), sampler.TrialsNeededBefore(5), sampler.TrialsNeededBefore(10)));
    }

    [Fact]
    public void Sample_SameSeedAndHistory_SameTrials()
    {
        var first = Run(seed: 5).Select(trial => string.Join(",", trial.Point.Select(FieldValues.Format)));
        var second = Run(seed: 5).Select(trial => string.Join(",", trial.Point.Select(FieldValues.Format)));

        Assert.Equal(first, second);
    }

    [Fact]
    public void Sample_AfterStartup_ConcentratesNearTheOptimum()
    {
        // The objective peaks at learning rate 1e-3 and width 256: the estimator's trials should sit closer to it
        // than the random start-up trials did.
        var trials = Run(seed: 11);

        double startup = trials.Take(10).Average(trial => Distance(trial.Point));
        double guided = trials.Skip(30).Average(trial => Distance(trial.Point));
        Assert.True(guided < startup / 2, $"mean distance from the optimum: start-up {startup:F3}, guided {guided:F3}");
    }

    private static List<TrialObservation> Run(ulong seed)
    {
        var sampler = new TpeSampler(Plan.Parameters, Plan.Objective, seed, startupTrials: 10, concurrency: 1);
        var ended = new List<TrialObservation>();
        for (int trial = 0; trial < 40; trial++)
        {
            var point = sampler.Sample(trial, ended);
            ended.Add(new TrialObservation(trial, point, 1 - Distance(point)));
        }
        return ended;
    }

    private static double Distance(IReadOnlyList<Google.Protobuf.WellKnownTypes.Value> point) =>
        Math.Abs(Math.Log10(point[0].NumberValue) + 3) + (point[1].NumberValue == 256 ? 0 : 0.5);

    private static SweepSpec Bayesian()
    {
        var spec = SweepSpecs.Valid();
        spec.Sampler = SweepSpec.Types.Sampler.Bayesian;
        spec.Parameters.RemoveAt(3);
        spec.Parameters.RemoveAt(2);
        return spec;
    }
}
