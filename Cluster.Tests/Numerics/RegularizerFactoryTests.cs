using DistributedTrainer.Numerics.Regularization;
using DistributedTrainer.Protos.V1;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class RegularizerFactoryTests
{
    [Fact]
    public void Create_NullSpec_ReturnsNull()
    {
        Assert.Null(RegularizerFactory.Create(null));
    }

    [Fact]
    public void Create_BothZero_ReturnsNull()
    {
        Assert.Null(RegularizerFactory.Create(new RegularizationSpec()));
    }

    [Fact]
    public void Create_OnlyL1_ReturnsL1WithThatStrength()
    {
        var regularizer = RegularizerFactory.Create(new RegularizationSpec { L1 = 0.01f });

        Assert.Equal(0.01f, Assert.IsType<L1Regularizer>(regularizer).L1);
    }

    [Fact]
    public void Create_OnlyL2_ReturnsL2WithThatStrength()
    {
        var regularizer = RegularizerFactory.Create(new RegularizationSpec { L2 = 0.001f });

        Assert.Equal(0.001f, Assert.IsType<L2Regularizer>(regularizer).L2);
    }

    [Fact]
    public void Create_Both_ReturnsElasticNet()
    {
        var regularizer = RegularizerFactory.Create(new RegularizationSpec { L1 = 0.01f, L2 = 0.001f });

        Assert.IsType<ElasticNetRegularizer>(regularizer);
    }

    [Fact]
    public void Create_NegativeL1_Throws()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => RegularizerFactory.Create(new RegularizationSpec { L1 = -1f }));

        Assert.StartsWith("Invalid l1: -1 (must be finite and >= 0)", error.Message);
    }
}
