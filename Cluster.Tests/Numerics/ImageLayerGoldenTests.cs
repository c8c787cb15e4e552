using System.Text.Json;
using DistributedTrainer.Numerics.Layers;
using Xunit;
using Xunit.Abstractions;

namespace DistributedTrainer.Tests.Numerics;

/// <summary>
/// Replays Golden/conv.json (written by Golden/conv_golden.py from torch.nn Conv2d, MaxPool2d, AvgPool2d, BatchNorm2d and ConvTranspose2d):
/// each case's parameters go into the C# layer, which must reproduce the output and, for L = Σ y ⊙ r, the
/// gradients of the input and of every parameter. Sums run in another order than torch's, so the tolerance
/// scales with the values instead of being bitwise.
/// </summary>
public sealed class ImageLayerGoldenTests(ITestOutputHelper output)
{
    private const double Tolerance = 2e-5;
    private static readonly JsonElement Golden = GoldenFiles.Load("conv.json");

    public static TheoryData<string> CaseNames() =>
        new(Golden.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void ConvJson_Case_MatchesTorchOutputAndGradients(string name)
    {
        var golden = GoldenFiles.Named(Golden.GetProperty("cases"), name);
        int batch = golden.GetProperty("batch").GetInt32();
        int[] shape = [.. golden.GetProperty("input_shape").EnumerateArray().Select(side => side.GetInt32())];
        var input = new ImageShape(shape[0], shape[1], shape[2]);
        using var model = new Model([BuildLayer(golden, input)], batch);
        model.Initialize(1);
        foreach (var view in model.Store.Parameters)
        {
            string local = view.Name[(view.Name.LastIndexOf('.') + 1)..];
            GoldenFiles.Floats(golden.GetProperty(local)).CopyTo(model.Store.ValuesOf(view));
        }
        float[] x = GoldenFiles.Floats(golden.GetProperty("x"));
        float[] inputGradient = new float[x.Length];
        var context = GradientCheck.Training(batch);

        float[] y = model.Forward(context, x, batch).ToArray();
        model.ZeroGradients();
        model.Backward(context, GoldenFiles.Floats(golden.GetProperty("r")), inputGradient, batch);

        Compare(golden, "y", y);
        Compare(golden, "x_grad", inputGradient);
        foreach (var view in model.Store.Parameters)
        {
            string local = view.Name[(view.Name.LastIndexOf('.') + 1)..];
            Compare(golden, local + "_grad", model.Store.GradientsOf(view).ToArray());
        }
        foreach (var view in model.Store.Buffers)
        {
            Compare(golden, view.Name[(view.Name.LastIndexOf('.') + 1)..], model.Store.BufferOf(view).ToArray());
        }
    }

    private static Layer BuildLayer(JsonElement golden, ImageShape input)
    {
        int Setting(string name) => golden.GetProperty(name).GetInt32();
        WindowGeometry Window(int dilation) => new(Setting("kernel"), Setting("stride"), Setting("padding"), dilation);
        return golden.GetProperty("kind").GetString() switch
        {
            "conv2d" => new Conv2d("conv", input, Setting("out_channels"), Window(Setting("dilation")),
                golden.GetProperty("has_bias").GetBoolean(), new LayerTestInitializer(), new LayerTestInitializer()),
            "conv_transpose2d" => new ConvTranspose2d("deconv", input, Setting("out_channels"), Window(Setting("dilation")),
                Setting("output_padding"), golden.GetProperty("has_bias").GetBoolean(), new LayerTestInitializer(), new LayerTestInitializer()),
            "max_pool2d" => new MaxPool2d("pool", input, Window(1)),
            "avg_pool2d" => new AvgPool2d("pool", input, Window(1)),
            "batch_norm2d" => new BatchNorm2d("bn", input, golden.GetProperty("momentum").GetSingle(),
                golden.GetProperty("epsilon").GetSingle()),
            var kind => throw new InvalidDataException($"conv.json: unknown kind {kind}"),
        };
    }

    // Prints the largest difference of every tensor, then fails on the first one out of tolerance · (1 + |expected|).
    private void Compare(JsonElement golden, string tensor, float[] actual)
    {
        float[] expected = GoldenFiles.Floats(golden.GetProperty(tensor));
        Assert.Equal(expected.Length, actual.Length);
        double largest = 0;
        int at = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double scaled = Math.Abs((double)expected[i] - actual[i]) / (1 + Math.Abs(expected[i]));
            if (double.IsNaN(scaled))
            {
                scaled = double.PositiveInfinity;
            }
            if (scaled > largest)
            {
                largest = scaled;
                at = i;
            }
        }
        output.WriteLine($"{golden.GetProperty("name").GetString()} {tensor}: largest |diff| / (1 + |expected|) {largest:E3} at [{at}]");
        Assert.True(largest <= Tolerance, $"{tensor}[{at}]: expected {expected[at]:R}, got {actual[at]:R}");
    }
}
