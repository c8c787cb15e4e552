using DistributedTrainer.Numerics.Optimizers;
using Xunit;
using Xunit.Abstractions;

namespace DistributedTrainer.Tests.Numerics;

public sealed class AdamTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void Step_TwentyStepsOfGoldenGradients_MatchesPyTorch(string config)
    {
        OptimizerGolden.Replay("adam.json", config, (json, count) => new Adam(count, new AdamOptions
        {
            LearningRate = json.GetProperty("learning_rate").GetSingle(),
            Beta1 = json.GetProperty("beta1").GetSingle(),
            Beta2 = json.GetProperty("beta2").GetSingle(),
            Epsilon = json.GetProperty("epsilon").GetSingle(),
            WeightDecay = json.GetProperty("weight_decay").GetSingle(),
        }), output);
    }

    [Theory]
    [InlineData("beta1", 1.2f, "Invalid beta1: 1.2 (must be in [0, 1))")]
    [InlineData("beta1", -0.1f, "Invalid beta1: -0.1 (must be in [0, 1))")]
    [InlineData("beta2", 1f, "Invalid beta2: 1 (must be in [0, 1))")]
    [InlineData("epsilon", 0f, "Invalid epsilon: 0 (must be finite and > 0)")]
    [InlineData("weight_decay", float.NaN, "Invalid weight_decay: NaN (must be finite and >= 0)")]
    public void Constructor_InvalidOption_ThrowsNamingValue(string field, float value, string message)
    {
        var options = field switch
        {
            "beta1" => new AdamOptions { Beta1 = value },
            "beta2" => new AdamOptions { Beta2 = value },
            "epsilon" => new AdamOptions { Epsilon = value },
            _ => new AdamOptions { WeightDecay = value },
        };

        var exception = Assert.Throws<ArgumentException>(() => new Adam(4, options));

        Assert.Equal(message, exception.Message);
    }

    [Fact]
    public void AdamWDefaults_WeightDecay_IsTorchDefault()
    {
        Assert.Equal(0.01f, AdamOptions.AdamWDefaults.WeightDecay);
    }
}
