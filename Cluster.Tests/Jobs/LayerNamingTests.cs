using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using Xunit;

namespace DistributedTrainer.Tests.Jobs;

public class LayerNamingTests
{
    [Fact]
    public void EffectiveName_NamedLayer_IsItsName()
    {
        var layer = new LayerSpec { Name = "fc1", Dense = new DenseSpec { Units = 3 } };

        Assert.Equal("fc1", LayerNaming.EffectiveName(layer, 4));
    }

    [Theory]
    [MemberData(nameof(UnnamedLayers))]
    public void EffectiveName_UnnamedLayer_IsKindAndIndex(LayerSpec layer, int index, string expected)
    {
        Assert.Equal(expected, LayerNaming.EffectiveName(layer, index));
    }

    public static TheoryData<LayerSpec, int, string> UnnamedLayers() => new()
    {
        { new LayerSpec { Dense = new DenseSpec { Units = 3 } }, 0, "dense0" },
        { new LayerSpec { Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Relu } }, 1, "activation1" },
        { new LayerSpec { BatchNorm = new BatchNormSpec() }, 3, "batch_norm3" },
        { new LayerSpec { LayerNorm = new LayerNormSpec() }, 12, "layer_norm12" },
        { new LayerSpec { Highway = new HighwaySpec() }, 2, "highway2" },
        { new LayerSpec(), 5, "layer5" },
    };

    [Fact]
    public void QualifiedName_NestedLayer_JoinsWithDot()
    {
        Assert.Equal("block2.dense0", LayerNaming.QualifiedName("block2", "dense0"));
    }

    [Fact]
    public void QualifiedName_TopLevelLayer_IsItsName()
    {
        Assert.Equal("fc1", LayerNaming.QualifiedName("", "fc1"));
    }
}
