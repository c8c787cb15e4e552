using DistributedTrainer.Numerics.Losses;
using DistributedTrainer.Protos.V1;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class LossFactoryTests
{
    [Theory]
    [InlineData(LossSpec.Types.Kind.Mse, "mse")]
    [InlineData(LossSpec.Types.Kind.BinaryCrossEntropy, "binary_cross_entropy")]
    [InlineData(LossSpec.Types.Kind.SoftmaxCrossEntropy, "softmax_cross_entropy")]
    [InlineData(LossSpec.Types.Kind.MultiLabelBinaryCrossEntropy, "multi_label_binary_cross_entropy")]
    public void Create_KnownKind_ReturnsLossOfThatName(LossSpec.Types.Kind kind, string name)
    {
        var loss = LossFactory.Create(kind);

        Assert.Equal(name, loss.Name);
    }

    [Fact]
    public void Create_Unspecified_ThrowsListingKinds()
    {
        var error = Assert.Throws<ArgumentException>(() => LossFactory.Create(LossSpec.Types.Kind.Unspecified));

        Assert.StartsWith("Invalid loss kind: Unspecified (must be one of MSE,", error.Message);
    }
}
