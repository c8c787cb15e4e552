using DistributedTrainer.Numerics.Optimizers;
using DistributedTrainer.Protos.V1;
using Xunit;
using Kind = DistributedTrainer.Protos.V1.OptimizerSpec.Types.Kind;

namespace DistributedTrainer.Tests.Numerics;

public sealed class OptimizerFactoryTests
{
    [Theory]
    [InlineData(Kind.Sgd, typeof(Sgd))]
    [InlineData(Kind.Momentum, typeof(Sgd))]
    [InlineData(Kind.Nesterov, typeof(Sgd))]
    [InlineData(Kind.Adagrad, typeof(AdaGrad))]
    [InlineData(Kind.Rmsprop, typeof(RmsProp))]
    [InlineData(Kind.Adadelta, typeof(AdaDelta))]
    [InlineData(Kind.Adam, typeof(Adam))]
    [InlineData(Kind.Adamw, typeof(Adam))]
    public void Create_EachKind_GivesItsRule(Kind kind, Type expected)
    {
        var optimizer = OptimizerFactory.Create(new OptimizerSpec { Kind = kind }, 10);

        Assert.IsType(expected, optimizer);
    }

    [Theory]
    [InlineData(Kind.Sgd, 0f, false)]
    [InlineData(Kind.Momentum, 0.9f, false)]
    [InlineData(Kind.Nesterov, 0.9f, true)]
    public void Create_SgdFamily_SetsMomentumAndNesterov(Kind kind, float momentum, bool nesterov)
    {
        var optimizer = (Sgd)OptimizerFactory.Create(new OptimizerSpec { Kind = kind }, 10);

        Assert.Equal((momentum, nesterov), (optimizer.Options.Momentum, optimizer.Options.Nesterov));
    }

    [Theory]
    [InlineData(Kind.Adam, 0f)]
    [InlineData(Kind.Adamw, 0.01f)]
    public void Create_AdamKinds_DefaultWeightDecay(Kind kind, float weightDecay)
    {
        var optimizer = OptimizerFactory.Create(new OptimizerSpec { Kind = kind }, 10);

        Assert.Equal(weightDecay, optimizer.WeightDecay);
    }

    [Fact]
    public void Create_FieldsSet_OverrideDefaults()
    {
        var spec = new OptimizerSpec { Kind = Kind.Adamw, Beta1 = 0.8f, Beta2 = 0.99f, Epsilon = 1e-6f, WeightDecay = 0.05f };

        var optimizer = (Adam)OptimizerFactory.Create(spec, 10);

        Assert.Equal(new AdamOptions { Beta1 = 0.8f, Beta2 = 0.99f, Epsilon = 1e-6f, WeightDecay = 0.05f }, optimizer.Options);
    }

    [Fact]
    public void Create_RmsPropRho_SetsSmoothingConstant()
    {
        var optimizer = (RmsProp)OptimizerFactory.Create(new OptimizerSpec { Kind = Kind.Rmsprop, Rho = 0.9f }, 10);

        Assert.Equal(0.9f, optimizer.Options.Rho);
    }

    [Theory]
    [InlineData(Kind.Sgd, 0.01f)]
    [InlineData(Kind.Adagrad, 0.01f)]
    [InlineData(Kind.Rmsprop, 0.01f)]
    [InlineData(Kind.Adadelta, 1f)]
    [InlineData(Kind.Adam, 1e-3f)]
    public void BaseLearningRate_Unset_IsKindDefault(Kind kind, float expected)
    {
        Assert.Equal(expected, OptimizerFactory.BaseLearningRate(new OptimizerSpec { Kind = kind }));
    }

    [Fact]
    public void BaseLearningRate_Set_IsSpecValue()
    {
        Assert.Equal(0.3f, OptimizerFactory.BaseLearningRate(new OptimizerSpec { Kind = Kind.Adam, LearningRate = 0.3f }));
    }

    [Fact]
    public void Create_UnspecifiedKind_Throws()
    {
        var exception = Assert.Throws<ArgumentException>(() => OptimizerFactory.Create(new OptimizerSpec(), 10));

        Assert.StartsWith("Invalid optimizer kind: KIND_UNSPECIFIED", exception.Message);
    }

    [Fact]
    public void Create_FieldTheKindIgnores_ThrowsNamingIt()
    {
        var exception = Assert.Throws<ArgumentException>(() => OptimizerFactory.Create(new OptimizerSpec { Kind = Kind.Sgd, Beta1 = 0.9f }, 10));

        Assert.Equal("Invalid beta1: 0.9 (optimizer SGD does not use beta1)", exception.Message);
    }

    [Fact]
    public void Create_ValueOutOfRange_ThrowsNamingIt()
    {
        var exception = Assert.Throws<ArgumentException>(() => OptimizerFactory.Create(new OptimizerSpec { Kind = Kind.Adam, Beta1 = 1.2f }, 10));

        Assert.Equal("Invalid beta1: 1.2 (must be in [0, 1))", exception.Message);
    }
}
