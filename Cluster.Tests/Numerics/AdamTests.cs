using DistributedTrainer.Numerics.Layers;
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

    [Fact]
    public void Step_EveryLength_VectorLanesMatchOneElementScalarSteps()
    {
        var random = new Random(23);
        var options = new AdamOptions { WeightDecay = 0.01f };
        for (int length = 1; length <= 80; length++)
        {
            var parameters = Enumerable.Range(0, length).Select(_ => random.NextSingle() - 0.5f).ToArray();
            var gradients = Enumerable.Range(0, length).Select(_ => (random.NextSingle() - 0.5f) * 1e-2f).ToArray();
            var expected = (float[])parameters.Clone();
            var whole = new Adam(length, options);
            var view = new[] { new ParameterView("w", 0, [length], ParameterRole.Weight, "layer") };

            for (int step = 0; step < 3; step++)
            {
                whole.Step(parameters, gradients, 1e-3f, view);
            }
            // A one-element tensor always takes the scalar loop: the definition every vector width must match.
            for (int i = 0; i < length; i++)
            {
                var single = new Adam(1, options);
                var singleView = new[] { new ParameterView("w", 0, [1], ParameterRole.Weight, "layer") };
                for (int step = 0; step < 3; step++)
                {
                    single.Step(expected.AsSpan(i, 1), gradients.AsSpan(i, 1), 1e-3f, singleView);
                }
            }

            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), parameters.Select(BitConverter.SingleToInt32Bits));
        }
    }
}
