using DistributedTrainer.Sweeps;
using Xunit;

namespace DistributedTrainer.Tests.Sweeps;

public class ParameterPathTests
{
    [Fact]
    public void Apply_LayerByName_WritesThatLayer()
    {
        var spec = SweepSpecs.Valid().Base;
        Assert.True(ParameterPath.TryResolve("model.layers[out].dense.units", spec, out var path, out _));

        path!.Apply(spec, 12);

        Assert.Equal(12, spec.Model.Layers[3].Dense.Units);
    }

    [Fact]
    public void Apply_UnsetMessage_CreatesIt()
    {
        var spec = SweepSpecs.Valid().Base;
        spec.Regularization = null;
        Assert.True(ParameterPath.TryResolve("regularization.l2", spec, out var path, out _));

        path!.Apply(spec, 0.5f);

        Assert.Equal(0.5f, spec.Regularization!.L2);
    }

    [Fact]
    public void TryResolve_LayerByDefaultName_FindsIt()
    {
        var spec = SweepSpecs.Valid().Base;

        Assert.True(ParameterPath.TryResolve("model.layers[dropout2].dropout.rate", spec, out _, out var problem), problem);
    }

    [Fact]
    public void TryResolve_BeyondAScalar_SaysSo()
    {
        Assert.False(ParameterPath.TryResolve("batch_size.units", SweepSpecs.Valid().Base, out _, out var problem));

        Assert.Equal("batch_size is a value (int32), it has no field \"units\"", problem);
    }
}
