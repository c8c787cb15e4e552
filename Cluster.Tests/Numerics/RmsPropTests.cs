using DistributedTrainer.Numerics.Optimizers;
using Xunit;
using Xunit.Abstractions;

namespace DistributedTrainer.Tests.Numerics;

public sealed class RmsPropTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("rmsprop")]
    [InlineData("rmsprop_momentum")]
    public void Step_TwentyStepsOfGoldenGradients_MatchesPyTorch(string config)
    {
        OptimizerGolden.Replay("rmsprop.json", config, (json, count) => new RmsProp(count, new RmsPropOptions
        {
            LearningRate = json.GetProperty("learning_rate").GetSingle(),
            Rho = json.GetProperty("rho").GetSingle(),
            Epsilon = json.GetProperty("epsilon").GetSingle(),
            Momentum = json.GetProperty("momentum").GetSingle(),
        }), output);
    }

    [Theory]
    [InlineData("rho", 1f, "Invalid rho: 1 (must be in [0, 1))")]
    [InlineData("epsilon", -1e-8f, "Invalid epsilon: -1E-08 (must be finite and > 0)")]
    [InlineData("momentum", 1.5f, "Invalid momentum: 1.5 (must be in [0, 1))")]
    public void Constructor_InvalidOption_ThrowsNamingValue(string field, float value, string message)
    {
        var options = field switch
        {
            "rho" => new RmsPropOptions { Rho = value },
            "epsilon" => new RmsPropOptions { Epsilon = value },
            _ => new RmsPropOptions { Momentum = value },
        };

        var exception = Assert.Throws<ArgumentException>(() => new RmsProp(4, options));

        Assert.Equal(message, exception.Message);
    }
}
