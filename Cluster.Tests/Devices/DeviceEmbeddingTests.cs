using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Initializers;
using DistributedTrainer.Numerics.Layers;
using ILGPU;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>The embedding kernels (<see cref="DeviceEmbedding"/>) against <see cref="Embedding"/> on the SIMD path.</summary>
public sealed class DeviceEmbeddingTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    // The forward copies rows, and the weight gradient adds each id's tokens one float at a time in the SIMD layer's
    // (row, step) order from the same zero: the same additions, so the same floats on any device (no multiply to fuse).
    // The tolerance is 0: bitwise equal.
    private const float Tolerance = 0f;

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(3, 5, 4, 7)]
    [InlineData(8, 12, 86, 32)]
    [InlineData(17, 9, 3, 33)]
    public void ForwardAndBackward_RepeatedIds_MatchTheSimdLayerBitwise(int batch, int steps, int vocabulary, int dimensions)
    {
        using var model = new Model([new Embedding("embed", steps, vocabulary, dimensions, new NormalInitializer(0f, 1f))], batch);
        model.Initialize(7);
        // More tokens than ids for most shapes, so that rows of the weight gradient sum several tokens.
        var input = Ids(batch * steps, vocabulary, 1);
        var outputGradient = DeviceAssert.Random(batch * model.OutputSize, 2);
        var expected = DeviceLayerPass.Simd(model, input, outputGradient, batch);

        var actual = DeviceLayerPass.Device(device, model, (parameters, gradients) => Build(model, parameters, gradients),
            input, outputGradient, batch);

        DeviceAssert.Close(expected.Output, actual.Output, "output", Tolerance);
        DeviceAssert.Close(expected.Gradients, actual.Gradients, "weight gradient", Tolerance);
        DeviceAssert.Close(expected.InputGradient, actual.InputGradient, "input gradient", Tolerance);
    }

    [Fact]
    public void Backward_TwoRuns_GiveBitwiseTheSameGradients()
    {
        // 4 ids over 240 tokens: every row of the gradient is a sum of about 60 tokens, where an order that varied
        // would show in the last bits.
        const int batch = 16, steps = 15, vocabulary = 4, dimensions = 6;
        using var model = new Model([new Embedding("embed", steps, vocabulary, dimensions, new NormalInitializer(0f, 1f))], batch);
        model.Initialize(7);
        var input = Ids(batch * steps, vocabulary, 1);
        var outputGradient = DeviceAssert.Random(batch * model.OutputSize, 2);

        var first = DeviceLayerPass.Device(device, model, (parameters, gradients) => Build(model, parameters, gradients),
            input, outputGradient, batch);
        var second = DeviceLayerPass.Device(device, model, (parameters, gradients) => Build(model, parameters, gradients),
            input, outputGradient, batch);

        Assert.Equal(first.Gradients, second.Gradients);
        Assert.NotEqual(0f, first.Gradients.Select(MathF.Abs).Min());
    }

    [Fact]
    public void Forward_IdOutsideTheVocabulary_WritesNaNForThatTokenOnly()
    {
        // The SIMD layer throws; a kernel cannot, so the token's row turns NaN and the runner's finiteness check names the shard.
        const int steps = 4, vocabulary = 5, dimensions = 3;
        using var model = new Model([new Embedding("embed", steps, vocabulary, dimensions, new NormalInitializer(0f, 1f))], 1);
        model.Initialize(7);
        float[] input = [2, 5, 1.5f, 0];

        var output = DeviceLayerPass.Device(device, model, (parameters, gradients) => Build(model, parameters, gradients),
            input, new float[model.OutputSize], 1).Output;

        var weight = model.Store.Values.ToArray();
        float[] expected = [.. weight[(2 * dimensions)..(3 * dimensions)], float.NaN, float.NaN, float.NaN, float.NaN, float.NaN,
            float.NaN, .. weight[..dimensions]];
        Assert.Equal(expected, output);
    }

    private DeviceEmbedding Build(Model model, ArrayView<float> parameters, ArrayView<float> gradients)
    {
        var embedding = (Embedding)model.Layers[0];
        var weight = model.Store.Parameters[0];
        return new DeviceEmbedding(device.Kernels, "embed", embedding.InputSize, embedding.Vocabulary, embedding.Dimensions,
            parameters.SubView(weight.Offset, weight.Length), gradients.SubView(weight.Offset, weight.Length));
    }

    /// <summary><paramref name="count"/> ids uniform in [0, vocabulary) from <paramref name="seed"/>, held as floats.</summary>
    private static float[] Ids(int count, int vocabulary, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)random.Next(vocabulary))];
    }
}
