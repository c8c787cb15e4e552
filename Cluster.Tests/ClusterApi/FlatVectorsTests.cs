using DistributedTrainer.ClusterApi;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Tests.Numerics;
using Xunit;

namespace DistributedTrainer.Tests.ClusterApi;

public class FlatVectorsTests
{
    // in (3 -> 4), bn (4 running means and variances in buffers), out (4 -> 2)
    private static Model WithBuffers()
    {
        var init = new LayerTestInitializer();
        return new Model([new Dense("in", 3, 4, init, init), new BatchNorm("bn", 4), new Dense("out", 4, 2, init, init)], maxBatch: 2);
    }

    [Fact]
    public void GradientSums_LongerVector_ViewsItsGradientThenBufferChangePartsAndClearsThem()
    {
        using var model = WithBuffers();
        var store = model.Store;
        long[] flat = [.. Enumerable.Repeat(7L, FlatVectors.GradientLength(store) + 3)];

        var (gradients, bufferChanges) = FlatVectors.GradientSums(flat, store);
        gradients.Values[0] = 1;
        gradients.Values[^1] = 2;
        bufferChanges.Values[0] = 3;
        bufferChanges.Values[^1] = 4;

        Assert.Equal((store.Count, store.BufferValues.Length), (gradients.Length, bufferChanges.Length));
        Assert.True(store.BufferValues.Length > 0);
        Assert.Equal((1L, 2L, 3L, 4L), (flat[0], flat[store.Count - 1], flat[store.Count], flat[FlatVectors.GradientLength(store) - 1]));
        Assert.Equal(FlatVectors.GradientLength(store) - 4, flat.Take(FlatVectors.GradientLength(store)).Count(value => value == 0));
        Assert.Equal([7L, 7L, 7L], flat[FlatVectors.GradientLength(store)..]);
    }

    [Fact]
    public void GradientSums_ShorterVector_ArgumentExceptionNamingBothLengths()
    {
        using var model = WithBuffers();
        int length = FlatVectors.GradientLength(model.Store);

        var error = Assert.Throws<ArgumentException>(() => FlatVectors.GradientSums(new long[length - 1], model.Store));

        Assert.StartsWith($"Invalid gradient vector: {length - 1} elements (the model needs {length})", error.Message);
    }
}
