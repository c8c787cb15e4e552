using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class ReluTests
{
    [Fact]
    public void Forward_NegativeInputs_BecomeZero()
    {
        using var model = new Model([new Relu("act", 4)], 1);

        var output = model.Forward(GradientCheck.Evaluation(), [-2f, 0f, 0.5f, -0.1f], 1);

        GradientCheck.AssertClose([0f, 0f, 0.5f, 0f], output, 0);
    }

    [Fact]
    public void Backward_Always_MatchesFiniteDifferences()
    {
        using var model = new Model([new Relu("act", 4)], 3);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(3), GradientCheck.AwayFromZero(12, 1), 3);
    }

    [Fact]
    public void Backward_EveryLength_MatchesScalarDefinitionBitwise()
    {
        var random = new Random(5);
        float[] specials = [0f, -0f, float.NaN, float.Epsilon, -float.Epsilon];
        for (int length = 1; length <= 256; length++)
        {
            using var relu = new Relu("act", length);
            var input = new float[length];
            var outputGradient = new float[length];
            for (int i = 0; i < length; i++)
            {
                input[i] = random.Next(6) == 0 ? specials[random.Next(specials.Length)] : random.NextSingle() - 0.5f;
                outputGradient[i] = random.Next(6) == 0 ? -0f : random.NextSingle() - 0.5f;
            }
            var inputGradient = new float[length];

            relu.Backward(GradientCheck.Training(1), input, input, outputGradient, inputGradient, 1);

            var expected = input.Select((x, i) => x > 0f ? outputGradient[i] : 0f).ToArray();
            // Bit patterns, so -0 and +0 count as different.
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), inputGradient.Select(BitConverter.SingleToInt32Bits));
        }
    }
}
