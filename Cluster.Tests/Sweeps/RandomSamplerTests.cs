using DistributedTrainer.Jobs;
using DistributedTrainer.Sweeps;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace DistributedTrainer.Tests.Sweeps;

public class RandomSamplerTests
{
    private static readonly SweepPlan Plan = SweepSpecValidator.Plan(SweepSpecs.Valid(), JobLimits.Default);

    [Fact]
    public void Sample_SameSeedAndTrial_SameValues()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<ulong>(), ArbMap.Default.ArbFor<byte>(), (seed, trial) =>
            Format(new RandomSampler(Plan.Parameters, seed).Sample(trial, [])) == Format(new RandomSampler(Plan.Parameters, seed).Sample(trial, [])))
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Sample_AnySeed_StaysInsideEveryDomain()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<ulong>(), ArbMap.Default.ArbFor<byte>(), (seed, trial) =>
        {
            var point = new RandomSampler(Plan.Parameters, seed).Sample(trial, []);
            return point[0].NumberValue is >= 1e-4 and <= 1e-2
                && Plan.Parameters[1].Values.Contains(point[1])
                && point[2].NumberValue is >= 0 and <= 0.5
                && Plan.Parameters[3].Values.Contains(point[3]);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Sample_DifferentSeeds_DifferentTrials()
    {
        var first = Enumerable.Range(0, 8).Select(trial => Format(new RandomSampler(Plan.Parameters, 1).Sample(trial, [])));
        var second = Enumerable.Range(0, 8).Select(trial => Format(new RandomSampler(Plan.Parameters, 2).Sample(trial, [])));

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Sample_LogUniform_SpreadsOverDecades()
    {
        var rates = Enumerable.Range(0, 400).Select(trial => new RandomSampler(Plan.Parameters, 3).Sample(trial, [])[0].NumberValue).ToList();

        // log-uniform over 1e-4..1e-2: about half the draws fall below 1e-3.
        Assert.InRange(rates.Count(rate => rate < 1e-3), 160, 240);
    }

    private static string Format(IReadOnlyList<Google.Protobuf.WellKnownTypes.Value> point) => string.Join(",", point.Select(FieldValues.Format));
}
