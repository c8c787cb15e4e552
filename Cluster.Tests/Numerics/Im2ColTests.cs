using DistributedTrainer.Numerics.Kernels;
using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class Im2ColTests
{
    // (channels, height, width, kernel, stride, padding, dilation): odd sides, every stride/padding/dilation mix.
    public static TheoryData<int, int, int, int, int, int, int> Shapes() => new()
    {
        { 1, 1, 1, 1, 1, 0, 1 },
        { 1, 5, 5, 3, 1, 0, 1 },
        { 2, 7, 5, 3, 1, 1, 1 },
        { 3, 8, 9, 2, 2, 0, 1 },
        { 2, 9, 7, 3, 2, 1, 1 },
        { 1, 10, 11, 3, 3, 2, 1 },
        { 2, 9, 8, 3, 1, 1, 2 },
        { 1, 12, 12, 5, 1, 2, 1 },
        { 2, 11, 6, 2, 3, 1, 3 },
        { 1, 3, 3, 5, 1, 2, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Unfold_Shapes_MatchesScalarLoop(int channels, int height, int width, int kernel, int stride, int padding, int dilation)
    {
        var shape = new ImageShape(channels, height, width);
        var window = new WindowGeometry(kernel, stride, padding, dilation);
        float[] image = GradientCheck.RandomValues(shape.Size, 11);
        int positions = window.OutputLength(height) * window.OutputLength(width), rows = channels * kernel * kernel;
        // Two images side by side: the second's columns start at positions, rows are 2·positions apart.
        float[] columns = new float[rows * positions * 2];
        Array.Fill(columns, float.NaN);

        Im2Col.Unfold(columns.AsSpan(positions), 2 * positions, image, shape, window);

        float[] expected = new float[rows * positions];
        float[] actual = new float[rows * positions];
        for (int r = 0; r < rows; r++)
        {
            Array.Copy(columns, (r * 2 * positions) + positions, actual, r * positions, positions);
        }
        ScalarUnfold(expected, image, shape, window);
        GradientCheck.AssertClose(expected, actual, 0);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Fold_Shapes_IsTheAdjointOfUnfold(int channels, int height, int width, int kernel, int stride, int padding, int dilation)
    {
        var shape = new ImageShape(channels, height, width);
        var window = new WindowGeometry(kernel, stride, padding, dilation);
        int positions = window.OutputLength(height) * window.OutputLength(width), rows = channels * kernel * kernel;
        float[] image = GradientCheck.RandomValues(shape.Size, 12);
        float[] columnGradient = GradientCheck.RandomValues(rows * positions, 13);
        float[] unfolded = new float[rows * positions];
        float[] folded = new float[shape.Size];

        Im2Col.Unfold(unfolded, positions, image, shape, window);
        Im2Col.Fold(folded, columnGradient, positions, shape, window);

        // <Unfold(x), g> = <x, Fold(g)> for every x and g: Fold is Unfold's transpose, the gradient it must be.
        double left = unfolded.Zip(columnGradient, (a, b) => (double)a * b).Sum();
        double right = image.Zip(folded, (a, b) => (double)a * b).Sum();
        Assert.True(Math.Abs(left - right) <= 1e-4 * (1 + Math.Abs(left)), $"<Unfold(x), g> = {left}, <x, Fold(g)> = {right}");
    }

    [Fact]
    public void Unfold_ColumnsTooShort_Throws()
    {
        var shape = new ImageShape(1, 4, 4);
        var window = new WindowGeometry(3, 1, 0, 1);

        Assert.Throws<ArgumentException>(() => Im2Col.Unfold(new float[35], 4, new float[16], shape, window));
    }

    private static void ScalarUnfold(float[] columns, float[] image, ImageShape shape, WindowGeometry window)
    {
        int outHeight = window.OutputLength(shape.Height), outWidth = window.OutputLength(shape.Width);
        int row = 0;
        for (int c = 0; c < shape.Channels; c++)
        {
            for (int ki = 0; ki < window.Kernel; ki++)
            {
                for (int kj = 0; kj < window.Kernel; kj++, row++)
                {
                    for (int oy = 0; oy < outHeight; oy++)
                    {
                        for (int ox = 0; ox < outWidth; ox++)
                        {
                            int iy = (oy * window.Stride) - window.Padding + (ki * window.Dilation);
                            int ix = (ox * window.Stride) - window.Padding + (kj * window.Dilation);
                            bool inside = iy >= 0 && iy < shape.Height && ix >= 0 && ix < shape.Width;
                            columns[(row * outHeight * outWidth) + (oy * outWidth) + ox] =
                                inside ? image[(c * shape.PlaneSize) + (iy * shape.Width) + ix] : 0;
                        }
                    }
                }
            }
        }
    }
}
