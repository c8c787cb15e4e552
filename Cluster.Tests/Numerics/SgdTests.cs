using DistributedTrainer.Numerics.Optimizers;
using Xunit;
using Xunit.Abstractions;

namespace DistributedTrainer.Tests.Numerics;

public sealed class SgdTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("sgd")]
    [InlineData("momentum")]
    [InlineData("nesterov")]
    public void Step_TwentyStepsOfGoldenGradients_MatchesPyTorch(string config)
    {
        OptimizerGolden.Replay("sgd.json", config, (json, count) => new Sgd(count, new SgdOptions
        {
            LearningRate = json.GetProperty("learning_rate").GetSingle(),
            Momentum = json.GetProperty("momentum").GetSingle(),
            Nesterov = json.GetProperty("nesterov").GetBoolean(),
        }), output);
    }

    [Theory]
    [InlineData("learning_rate", -0.1f, "Invalid learning_rate: -0.1 (must be finite and >= 0)")]
    [InlineData("learning_rate", float.NaN, "Invalid learning_rate: NaN (must be finite and >= 0)")]
    [InlineData("momentum", 1f, "Invalid momentum: 1 (must be in [0, 1))")]
    [InlineData("momentum", -0.5f, "Invalid momentum: -0.5 (must be in [0, 1))")]
    [InlineData("nesterov", 0f, "Invalid momentum: 0 (Nesterov needs momentum > 0)")]
    [InlineData("weight_decay", -1f, "Invalid weight_decay: -1 (must be finite and >= 0)")]
    public void Constructor_InvalidOption_ThrowsNamingValue(string field, float value, string message)
    {
        var options = field switch
        {
            "learning_rate" => new SgdOptions { LearningRate = value },
            "momentum" => new SgdOptions { Momentum = value },
            "nesterov" => new SgdOptions { Momentum = value, Nesterov = true },
            _ => new SgdOptions { WeightDecay = value },
        };

        var exception = Assert.Throws<ArgumentException>(() => new Sgd(4, options));

        Assert.Equal(message, exception.Message);
    }

    [Fact]
    public void Constructor_PlainSgd_KeepsNoState()
    {
        var optimizer = new Sgd(4, new SgdOptions());

        Assert.Empty(optimizer.State);
    }
}
