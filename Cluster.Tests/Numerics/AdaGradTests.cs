using DistributedTrainer.Numerics.Optimizers;
using Xunit;
using Xunit.Abstractions;

namespace DistributedTrainer.Tests.Numerics;

public sealed class AdaGradTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("adagrad")]
    [InlineData("adagrad_accumulator")]
    public void Step_TwentyStepsOfGoldenGradients_MatchesPyTorch(string config)
    {
        OptimizerGolden.Replay("adagrad.json", config, (json, count) => new AdaGrad(count, new AdaGradOptions
        {
            LearningRate = json.GetProperty("learning_rate").GetSingle(),
            Epsilon = json.GetProperty("epsilon").GetSingle(),
            InitialAccumulator = json.GetProperty("initial_accumulator").GetSingle(),
        }), output);
    }

    [Theory]
    [InlineData("learning_rate", float.PositiveInfinity, "Invalid learning_rate: Infinity (must be finite and >= 0)")]
    [InlineData("epsilon", 0f, "Invalid epsilon: 0 (must be finite and > 0)")]
    [InlineData("initial_accumulator", -0.1f, "Invalid initial_accumulator: -0.1 (must be finite and >= 0)")]
    public void Constructor_InvalidOption_ThrowsNamingValue(string field, float value, string message)
    {
        var options = field switch
        {
            "learning_rate" => new AdaGradOptions { LearningRate = value },
            "epsilon" => new AdaGradOptions { Epsilon = value },
            _ => new AdaGradOptions { InitialAccumulator = value },
        };

        var exception = Assert.Throws<ArgumentException>(() => new AdaGrad(4, options));

        Assert.Equal(message, exception.Message);
    }

    [Fact]
    public void Constructor_InitialAccumulator_FillsSumState()
    {
        var optimizer = new AdaGrad(5, new AdaGradOptions { InitialAccumulator = 0.25f });

        Assert.All(optimizer.State["sum"], value => Assert.Equal(0.25f, value));
    }
}
