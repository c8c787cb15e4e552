using DistributedTrainer.Numerics;
using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

[Collection(ComputeThreadsCollection.Name)]
public class Conv2dTests
{
    private static Model SingleConv(ImageShape input, int outChannels, WindowGeometry window, int maxBatch, bool bias = true)
    {
        var model = new Model([new Conv2d("conv", input, outChannels, window, bias, new LayerTestInitializer(), new LayerTestInitializer())],
            maxBatch);
        model.Initialize(5);
        return model;
    }

    [Fact]
    public void Forward_KnownWeights_ComputesCrossCorrelation()
    {
        // One 3x3 image, one 2x2 kernel, bias 0.5: y[i, j] = Σ w[a, b] x[i + a, j + b] + 0.5.
        using var model = SingleConv(new ImageShape(1, 3, 3), 1, new WindowGeometry(2, 1, 0, 1), 1);
        float[] weight = [1, 2, 3, 4];
        weight.CopyTo(model.Store.ValuesOf(model.Store.Parameters[0]));
        model.Store.ValuesOf(model.Store.Parameters[1])[0] = 0.5f;

        var output = model.Forward(GradientCheck.Evaluation(), [1, 2, 3, 4, 5, 6, 7, 8, 9], 1);

        // (1 + 4 + 12 + 20), (2 + 6 + 15 + 24), (4 + 10 + 21 + 32), (5 + 12 + 24 + 36), each + 0.5
        GradientCheck.AssertClose([37.5f, 47.5f, 67.5f, 77.5f], output, 1e-5);
    }

    [Theory]
    [InlineData(1, 6, 6, 3, 3, 1, 0, 1, true)]
    [InlineData(2, 7, 5, 3, 3, 1, 1, 1, true)]
    [InlineData(2, 7, 7, 2, 3, 2, 1, 1, false)]
    [InlineData(1, 9, 8, 2, 3, 1, 1, 2, true)]
    [InlineData(3, 6, 7, 4, 2, 3, 0, 1, true)]
    public void Forward_Shapes_MatchesDirectConvolution(int channels, int height, int width, int outChannels, int kernel,
        int stride, int padding, int dilation, bool bias)
    {
        var input = new ImageShape(channels, height, width);
        var window = new WindowGeometry(kernel, stride, padding, dilation);
        using var model = SingleConv(input, outChannels, window, 3, bias);
        float[] x = GradientCheck.RandomValues(3 * input.Size, 21);

        var output = model.Forward(GradientCheck.Evaluation(), x, 3).ToArray();

        float[] weight = model.Store.ValuesOf(model.Store.Parameters[0]).ToArray();
        float[] biases = bias ? model.Store.ValuesOf(model.Store.Parameters[1]).ToArray() : new float[outChannels];
        GradientCheck.AssertClose(DirectConvolution(x, 3, input, weight, biases, outChannels, window), output, 1e-5);
    }

    [Theory]
    [InlineData(1, 5, 5, 2, 3, 1, 0, 1, true)]
    [InlineData(2, 6, 5, 3, 3, 1, 1, 1, true)]
    [InlineData(2, 7, 7, 2, 3, 2, 1, 1, false)]
    [InlineData(1, 7, 6, 2, 3, 1, 1, 2, true)]
    [InlineData(2, 5, 6, 2, 2, 3, 1, 1, true)]
    public void Backward_Shapes_MatchesFiniteDifferences(int channels, int height, int width, int outChannels, int kernel,
        int stride, int padding, int dilation, bool bias)
    {
        var input = new ImageShape(channels, height, width);
        using var model = SingleConv(input, outChannels, new WindowGeometry(kernel, stride, padding, dilation), 2, bias);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(2), GradientCheck.RandomValues(2 * input.Size, 22), 2);
    }

    [Fact]
    public void Backward_TwoCalls_AccumulatesParameterGradients()
    {
        var input = new ImageShape(1, 5, 5);
        using var model = SingleConv(input, 2, new WindowGeometry(3, 1, 1, 1), 2);
        float[] x = GradientCheck.RandomValues(2 * input.Size, 23);
        float[] dy = GradientCheck.RandomValues(2 * model.OutputSize, 24);
        model.ZeroGradients();
        model.Forward(GradientCheck.Training(2), x, 2);
        model.Backward(GradientCheck.Training(2), dy, 2);
        float[] once = model.Store.Gradients.ToArray();

        model.Forward(GradientCheck.Training(2), x, 2);
        model.Backward(GradientCheck.Training(2), dy, 2);

        GradientCheck.AssertClose([.. once.Select(g => 2 * g)], model.Store.Gradients, 1e-5);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(1)]
    public void ForwardBackward_OneAndFourThreads_AreBitwiseEqual(int channels)
    {
        // 3 channels run im2col + GEMM, 1 channel the direct kernels; 16 samples are enough work to split.
        var input = new ImageShape(channels, 12, 12);
        const int batch = 16;
        float[] x = GradientCheck.RandomValues(batch * input.Size, 25);
        (float[] Output, float[] Gradients) Run(int threads)
        {
            int previous = ComputeThreads.Count;
            ComputeThreads.Count = threads;
            try
            {
                using var model = SingleConv(input, 8, new WindowGeometry(5, 1, 2, 1), batch);
                float[] output = model.Forward(GradientCheck.Training(batch), x, batch).ToArray();
                model.ZeroGradients();
                model.Backward(GradientCheck.Training(batch), output, batch);
                return (output, model.Store.Gradients.ToArray());
            }
            finally
            {
                ComputeThreads.Count = previous;
            }
        }

        var one = Run(1);
        var four = Run(4);

        Assert.Equal(one.Output, four.Output);
        Assert.Equal(one.Gradients, four.Gradients);
    }

    [Theory]
    [InlineData(1, 28, 1, 2, ConvolutionPath.Direct)]
    [InlineData(6, 14, 1, 0, ConvolutionPath.Im2Col)]
    [InlineData(1, 28, 2, 2, ConvolutionPath.Im2Col)]
    [InlineData(3, 32, 1, 2, ConvolutionPath.Im2Col)]
    public void Path_Shapes_DirectForOneChannelAtUnitStride(int channels, int side, int stride, int padding,
        ConvolutionPath expected)
    {
        using var conv = new Conv2d("conv", new ImageShape(channels, side, side), 6, new WindowGeometry(5, stride, padding, 1),
            true, new LayerTestInitializer(), new LayerTestInitializer());

        Assert.Equal(expected, conv.Path);
    }

    [Fact]
    public void DeclareParameters_NoBias_DeclaresWeightOnly()
    {
        using var conv = new Conv2d("conv", new ImageShape(3, 8, 8), 4, new WindowGeometry(3, 1, 0, 1), false,
            new LayerTestInitializer(), new LayerTestInitializer());

        var declaration = Assert.Single(conv.DeclareParameters());

        Assert.Equal("weight", declaration.Name);
        Assert.Equal([4, 3, 3, 3], declaration.Shape);
        Assert.Equal(new ImageShape(4, 6, 6), conv.OutputShape);
    }

    [Fact]
    public void Constructor_KernelLargerThanPaddedInput_ThrowsNamingTheLayer()
    {
        var error = Assert.Throws<ArgumentException>(() => new Conv2d("c1", new ImageShape(1, 4, 4), 2, new WindowGeometry(7, 1, 1, 1), true,
            new LayerTestInitializer(), new LayerTestInitializer()));

        Assert.Contains("'c1'", error.Message, StringComparison.Ordinal);
        Assert.Contains("1x4x4 padded by 1", error.Message, StringComparison.Ordinal);
    }

    // x (B, C, H, W), weight (O, C, K, K), bias (O) -> y (B, O, OH, OW), summed in double.
    private static float[] DirectConvolution(float[] x, int batch, ImageShape input, float[] weight, float[] bias, int outChannels,
        WindowGeometry window)
    {
        var output = window.OutputShape(input, outChannels);
        float[] y = new float[batch * output.Size];
        int k = window.Kernel;
        for (int b = 0; b < batch; b++)
        {
            for (int o = 0; o < outChannels; o++)
            {
                for (int oy = 0; oy < output.Height; oy++)
                {
                    for (int ox = 0; ox < output.Width; ox++)
                    {
                        double sum = bias[o];
                        for (int c = 0; c < input.Channels; c++)
                        {
                            for (int ki = 0; ki < k; ki++)
                            {
                                for (int kj = 0; kj < k; kj++)
                                {
                                    int iy = (oy * window.Stride) - window.Padding + (ki * window.Dilation);
                                    int ix = (ox * window.Stride) - window.Padding + (kj * window.Dilation);
                                    if (iy >= 0 && iy < input.Height && ix >= 0 && ix < input.Width)
                                    {
                                        sum += (double)weight[(((o * input.Channels) + c) * k * k) + (ki * k) + kj] *
                                            x[(b * input.Size) + (c * input.PlaneSize) + (iy * input.Width) + ix];
                                    }
                                }
                            }
                        }
                        y[(b * output.Size) + (o * output.PlaneSize) + (oy * output.Width) + ox] = (float)sum;
                    }
                }
            }
        }
        return y;
    }
}
