using DistributedTrainer.Numerics.Optimizers;
using Xunit;
using Xunit.Abstractions;

namespace DistributedTrainer.Tests.Numerics;

public sealed class AdaDeltaTests(ITestOutputHelper output)
{
    [Fact]
    public void Step_TwentyStepsOfGoldenGradients_MatchesPyTorch()
    {
        OptimizerGolden.Replay("adadelta.json", "adadelta", (json, count) => new AdaDelta(count, new AdaDeltaOptions
        {
            LearningRate = json.GetProperty("learning_rate").GetSingle(),
            Rho = json.GetProperty("rho").GetSingle(),
            Epsilon = json.GetProperty("epsilon").GetSingle(),
        }), output);
    }

    [Theory]
    [InlineData("rho", -0.1f, "Invalid rho: -0.1 (must be in [0, 1))")]
    [InlineData("epsilon", float.NaN, "Invalid epsilon: NaN (must be finite and > 0)")]
    public void Constructor_InvalidOption_ThrowsNamingValue(string field, float value, string message)
    {
        var options = field == "rho" ? new AdaDeltaOptions { Rho = value } : new AdaDeltaOptions { Epsilon = value };

        var exception = Assert.Throws<ArgumentException>(() => new AdaDelta(4, options));

        Assert.Equal(message, exception.Message);
    }
}
