using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Sweeps;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace DistributedTrainer.Tests.Sweeps;

public class GridSamplerTests
{
    [Fact]
    public void Sample_EveryTrialOfTheGrid_CoversEachPointExactlyOnce()
    {
        var counts = Gen.Choose(1, 4).ArrayOf().Where(array => array.Length is > 0 and <= 4);
        Prop.ForAll(counts.ToArbitrary(), sizes =>
        {
            var parameters = Grid(sizes);
            var sampler = new GridSampler(parameters);
            long size = GridSampler.Size(parameters);
            var points = Enumerable.Range(0, (int)size)
                .Select(trial => string.Join(",", sampler.Sample(trial, []).Select(FieldValues.Format)))
                .ToList();
            return size == sizes.Aggregate(1, (product, count) => product * count) && points.Distinct().Count() == points.Count;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Sample_BeyondTheGrid_Throws()
    {
        var sampler = new GridSampler(Grid([2, 3]));

        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Sample(6, []));
    }

    [Fact]
    public void Plan_GridWithoutMaxTrials_RunsTheWholeGrid()
    {
        var spec = SweepSpecs.Valid();
        spec.Sampler = SweepSpec.Types.Sampler.Grid;
        spec.MaxTrials = 0;
        spec.Parameters.RemoveAt(2);
        spec.Parameters.RemoveAt(0);

        var plan = SweepSpecValidator.Plan(spec, JobLimits.Default);

        Assert.Equal(9, plan.MaxTrials);
    }

    // Each parameter a grid of distinct dropout rates; the sampler never looks at the path.
    private static SweepParameter[] Grid(int[] sizes)
    {
        var baseSpec = SweepSpecs.Valid().Base;
        Assert.True(ParameterPath.TryResolve("model.layers[2].dropout.rate", baseSpec, out var path, out _));
        return [.. sizes.Select((count, i) => new SweepParameter(path!, ParameterKind.Grid, 0, count - 1,
            [.. Enumerable.Range(0, count).Select(v => Google.Protobuf.WellKnownTypes.Value.ForNumber((i * 10) + v))]))];
    }
}
