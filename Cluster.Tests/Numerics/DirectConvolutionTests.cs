using DistributedTrainer.Numerics.Kernels;
using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class DirectConvolutionTests
{
    // (channels, height, width, out channels, kernel, stride, padding, dilation): 1 and several channels in and
    // out (4-channel blocks and leftovers), rows narrower than a 256-bit vector, between one and two 512-bit
    // vectors, past two (several chunks), strides, paddings past the window (the input gradient crops dy),
    // dilations; LeNet-5's two layers.
    public static TheoryData<int, int, int, int, int, int, int, int> Shapes() => new()
    {
        { 1, 1, 1, 1, 1, 1, 0, 1 },
        { 1, 6, 6, 1, 3, 1, 0, 1 },
        { 2, 7, 5, 3, 3, 1, 1, 1 },
        { 1, 28, 28, 6, 5, 1, 2, 1 },
        { 6, 14, 14, 16, 5, 1, 0, 1 },
        { 3, 9, 37, 5, 3, 1, 1, 1 },
        { 2, 5, 19, 9, 2, 1, 0, 1 },
        { 1, 9, 8, 2, 3, 1, 1, 2 },
        { 2, 11, 13, 4, 3, 1, 4, 2 },
        { 3, 8, 9, 4, 2, 2, 0, 1 },
        { 2, 9, 7, 5, 3, 2, 1, 1 },
        { 1, 10, 11, 3, 3, 3, 2, 1 },
        { 2, 11, 6, 2, 2, 3, 1, 3 },
        { 1, 3, 3, 7, 5, 1, 2, 1 },
        { 2, 6, 6, 3, 2, 1, 2, 1 },
        { 1, 4, 5, 2, 1, 1, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_Shapes_MatchesScalarLoop(int channels, int height, int width, int outChannels, int kernel, int stride,
        int padding, int dilation)
    {
        var (shape, window, outShape) = Geometry(channels, height, width, outChannels, kernel, stride, padding, dilation);
        const int batch = 3;
        float[] x = GradientCheck.RandomValues(batch * shape.Size, 31);
        float[] w = GradientCheck.RandomValues(outChannels * channels * kernel * kernel, 32);
        float[] bias = GradientCheck.RandomValues(outChannels, 33);
        float[] expected = new float[batch * outShape.Size];
        ScalarForward(expected, x, w, bias, batch, shape, outChannels, window);

        foreach (GemmInstructionSet set in GemmInstructionSets.Supported)
        {
            float[] y = new float[batch * outShape.Size];
            Array.Fill(y, float.NaN);
            DirectConvolution.Forward(set, 2, y, x, w, bias, batch, shape, outChannels, window);
            GradientCheck.AssertClose(expected, y, Tolerance(channels, kernel));
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardData_Shapes_MatchesScalarLoop(int channels, int height, int width, int outChannels, int kernel,
        int stride, int padding, int dilation)
    {
        var (shape, window, outShape) = Geometry(channels, height, width, outChannels, kernel, stride, padding, dilation);
        const int batch = 3;
        float[] dy = GradientCheck.RandomValues(batch * outShape.Size, 34);
        float[] w = GradientCheck.RandomValues(outChannels * channels * kernel * kernel, 35);
        float[] expected = new float[batch * shape.Size];
        ScalarBackwardData(expected, dy, w, batch, shape, outChannels, window);

        foreach (GemmInstructionSet set in GemmInstructionSets.Supported)
        {
            float[] dx = new float[batch * shape.Size];
            Array.Fill(dx, float.NaN);
            DirectConvolution.BackwardData(set, 2, dx, dy, w, batch, shape, outChannels, window);
            GradientCheck.AssertClose(expected, dx, Tolerance(outChannels, kernel));
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardWeight_Shapes_AddsScalarLoop(int channels, int height, int width, int outChannels, int kernel,
        int stride, int padding, int dilation)
    {
        var (shape, window, outShape) = Geometry(channels, height, width, outChannels, kernel, stride, padding, dilation);
        const int batch = 3;
        float[] x = GradientCheck.RandomValues(batch * shape.Size, 36);
        float[] dy = GradientCheck.RandomValues(batch * outShape.Size, 37);
        float[] start = GradientCheck.RandomValues(outChannels * channels * kernel * kernel, 38);
        float[] expected = (float[])start.Clone();
        ScalarBackwardWeight(expected, dy, x, batch, shape, outChannels, window);

        foreach (GemmInstructionSet set in GemmInstructionSets.Supported)
        {
            float[] dw = (float[])start.Clone();
            DirectConvolution.BackwardWeight(set, 2, dw, dy, x, batch, shape, outChannels, window);
            GradientCheck.AssertClose(expected, dw, 1e-6 * batch * outShape.PlaneSize * 4);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AllPasses_OneAndFourThreads_AreBitwiseEqual(int stride)
    {
        // Large enough (16 x 8 x 20 x 20 x 75 multiply-adds) that the passes do split over threads.
        var shape = new ImageShape(3, 20, 20);
        var window = new WindowGeometry(5, stride, 2, 1);
        const int batch = 16, outChannels = 8;
        ImageShape outShape = window.OutputShape(shape, outChannels);
        float[] x = GradientCheck.RandomValues(batch * shape.Size, 39);
        float[] w = GradientCheck.RandomValues(outChannels * shape.Channels * 25, 40);
        float[] bias = GradientCheck.RandomValues(outChannels, 41);
        float[] dy = GradientCheck.RandomValues(batch * outShape.Size, 42);
        (float[] Y, float[] Dx, float[] Dw) Run(int threads)
        {
            float[] y = new float[batch * outShape.Size], dx = new float[batch * shape.Size], dw = new float[w.Length];
            DirectConvolution.Forward(GemmInstructionSets.Best, threads, y, x, w, bias, batch, shape, outChannels, window);
            DirectConvolution.BackwardData(GemmInstructionSets.Best, threads, dx, dy, w, batch, shape, outChannels, window);
            DirectConvolution.BackwardWeight(GemmInstructionSets.Best, threads, dw, dy, x, batch, shape, outChannels, window);
            return (y, dx, dw);
        }

        var one = Run(1);
        var four = Run(4);

        Assert.Equal(one.Y, four.Y);
        Assert.Equal(one.Dx, four.Dx);
        Assert.Equal(one.Dw, four.Dw);
    }

    private static (ImageShape Shape, WindowGeometry Window, ImageShape OutShape) Geometry(int channels, int height, int width,
        int outChannels, int kernel, int stride, int padding, int dilation)
    {
        var shape = new ImageShape(channels, height, width);
        var window = new WindowGeometry(kernel, stride, padding, dilation);
        return (shape, window, window.OutputShape(shape, outChannels));
    }

    // Float sums of n products of values in [-1, 1]: rounding grows with n.
    private static double Tolerance(int channels, int kernel) => 1e-6 * (channels * kernel * kernel + 1) * 4;

    // Tap (a, b) of output (i, j) reads input (i·s - p + a·d, j·s - p + b·d), or nothing in the padding.
    private static int Tap(int output, int tap, WindowGeometry window) =>
        (output * window.Stride) - window.Padding + (tap * window.Dilation);

    // x (B, C, H, W), w (O, C, K, K), bias (O) -> y (B, O, OH, OW), summed in double.
    private static void ScalarForward(float[] y, float[] x, float[] w, float[] bias, int batch, ImageShape shape,
        int outChannels, WindowGeometry window)
    {
        ImageShape outShape = window.OutputShape(shape, outChannels);
        int k = window.Kernel;
        for (int n = 0; n < batch; n++)
        {
            for (int o = 0; o < outChannels; o++)
            {
                for (int i = 0; i < outShape.Height; i++)
                {
                    for (int j = 0; j < outShape.Width; j++)
                    {
                        double sum = bias[o];
                        for (int c = 0; c < shape.Channels; c++)
                        {
                            for (int a = 0; a < k; a++)
                            {
                                for (int b = 0; b < k; b++)
                                {
                                    int u = Tap(i, a, window), v = Tap(j, b, window);
                                    if (u >= 0 && u < shape.Height && v >= 0 && v < shape.Width)
                                    {
                                        sum += (double)w[(((o * shape.Channels) + c) * k * k) + (a * k) + b] *
                                            x[(n * shape.Size) + (c * shape.PlaneSize) + (u * shape.Width) + v];
                                    }
                                }
                            }
                        }
                        y[(n * outShape.Size) + (o * outShape.PlaneSize) + (i * outShape.Width) + j] = (float)sum;
                    }
                }
            }
        }
    }

    // forward: y[o, i, j] += w[o, c, a, b] x[c, u, v]  =>  dx[c, u, v] += w[o, c, a, b] dy[o, i, j]
    private static void ScalarBackwardData(float[] dx, float[] dy, float[] w, int batch, ImageShape shape, int outChannels,
        WindowGeometry window)
    {
        ImageShape outShape = window.OutputShape(shape, outChannels);
        int k = window.Kernel;
        double[] sums = new double[dx.Length];
        for (int n = 0; n < batch; n++)
        {
            for (int o = 0; o < outChannels; o++)
            {
                for (int i = 0; i < outShape.Height; i++)
                {
                    for (int j = 0; j < outShape.Width; j++)
                    {
                        double g = dy[(n * outShape.Size) + (o * outShape.PlaneSize) + (i * outShape.Width) + j];
                        for (int c = 0; c < shape.Channels; c++)
                        {
                            for (int a = 0; a < k; a++)
                            {
                                for (int b = 0; b < k; b++)
                                {
                                    int u = Tap(i, a, window), v = Tap(j, b, window);
                                    if (u >= 0 && u < shape.Height && v >= 0 && v < shape.Width)
                                    {
                                        sums[(n * shape.Size) + (c * shape.PlaneSize) + (u * shape.Width) + v] +=
                                            w[(((o * shape.Channels) + c) * k * k) + (a * k) + b] * g;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for (int i = 0; i < dx.Length; i++)
        {
            dx[i] = (float)sums[i];
        }
    }

    // forward: y[o, i, j] += w[o, c, a, b] x[c, u, v]  =>  dw[o, c, a, b] += dy[o, i, j] x[c, u, v]
    private static void ScalarBackwardWeight(float[] dw, float[] dy, float[] x, int batch, ImageShape shape, int outChannels,
        WindowGeometry window)
    {
        ImageShape outShape = window.OutputShape(shape, outChannels);
        int k = window.Kernel;
        for (int o = 0; o < outChannels; o++)
        {
            for (int c = 0; c < shape.Channels; c++)
            {
                for (int a = 0; a < k; a++)
                {
                    for (int b = 0; b < k; b++)
                    {
                        double sum = 0;
                        for (int n = 0; n < batch; n++)
                        {
                            for (int i = 0; i < outShape.Height; i++)
                            {
                                for (int j = 0; j < outShape.Width; j++)
                                {
                                    int u = Tap(i, a, window), v = Tap(j, b, window);
                                    if (u >= 0 && u < shape.Height && v >= 0 && v < shape.Width)
                                    {
                                        sum += (double)dy[(n * outShape.Size) + (o * outShape.PlaneSize) + (i * outShape.Width) + j] *
                                            x[(n * shape.Size) + (c * shape.PlaneSize) + (u * shape.Width) + v];
                                    }
                                }
                            }
                        }
                        dw[(((o * shape.Channels) + c) * k * k) + (a * k) + b] += (float)sum;
                    }
                }
            }
        }
    }
}
