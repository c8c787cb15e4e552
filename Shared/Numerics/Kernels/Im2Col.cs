using System.Numerics.Tensors;
using DistributedTrainer.Numerics.Layers;

namespace DistributedTrainer.Numerics.Kernels;

/// <summary>
/// Unfolds the windows of an image into the columns of a matrix (im2col), so a convolution becomes one GEMM,
/// and folds column gradients back onto the image (col2im). Row r = (c, ki, kj) of the matrix, c major, holds
/// for each output position p = (oy, ox) the input tap x[c, oy·stride - padding + ki·dilation,
/// ox·stride - padding + kj·dilation], or 0 where that tap falls in the padding.
/// </summary>
internal static class Im2Col
{
    /// <summary>
    /// image (C, H, W) -> columns (C·K·K rows of OH·OW, row r starting at r·<paramref name="rowStride"/>).
    /// A row stride above OH·OW lays several images side by side (the batch's columns share one matrix).
    /// </summary>
    public static void Unfold(Span<float> columns, int rowStride, ReadOnlySpan<float> image, ImageShape shape,
        WindowGeometry window)
    {
        int outHeight = window.OutputLength(shape.Height), outWidth = window.OutputLength(shape.Width);
        CheckSizes(columns.Length, rowStride, image.Length, shape, window, outHeight, outWidth);
        int positions = outHeight * outWidth, row = 0;
        for (int c = 0; c < shape.Channels; c++)
        {
            ReadOnlySpan<float> plane = image.Slice(c * shape.PlaneSize, shape.PlaneSize);
            for (int ki = 0; ki < window.Kernel; ki++)
            {
                int rowOffset = (ki * window.Dilation) - window.Padding;
                for (int kj = 0; kj < window.Kernel; kj++, row++)
                {
                    int columnOffset = (kj * window.Dilation) - window.Padding;
                    (int first, int end) = ValidRange(columnOffset, window.Stride, shape.Width, outWidth);
                    Span<float> destination = columns.Slice(row * rowStride, positions);
                    for (int oy = 0; oy < outHeight; oy++)
                    {
                        Span<float> line = destination.Slice(oy * outWidth, outWidth);
                        int iy = (oy * window.Stride) + rowOffset;
                        if (iy < 0 || iy >= shape.Height)
                        {
                            line.Clear();
                            continue;
                        }
                        line[..first].Clear();
                        line[end..].Clear();
                        ReadOnlySpan<float> source = plane.Slice(iy * shape.Width, shape.Width);
                        if (window.Stride == 1 && first < end)
                        {
                            source.Slice(first + columnOffset, end - first).CopyTo(line[first..end]);
                        }
                        else if (window.Stride > 1)
                        {
                            for (int ox = first; ox < end; ox++)
                            {
                                line[ox] = source[(ox * window.Stride) + columnOffset];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// image gradient (C, H, W) += the column gradients folded back onto their taps; the inverse layout of
    /// <see cref="Unfold"/>. The caller clears the image gradient first.
    /// </summary>
    public static void Fold(Span<float> image, ReadOnlySpan<float> columns, int rowStride, ImageShape shape,
        WindowGeometry window)
    {
        int outHeight = window.OutputLength(shape.Height), outWidth = window.OutputLength(shape.Width);
        CheckSizes(columns.Length, rowStride, image.Length, shape, window, outHeight, outWidth);
        int positions = outHeight * outWidth, row = 0;
        for (int c = 0; c < shape.Channels; c++)
        {
            Span<float> plane = image.Slice(c * shape.PlaneSize, shape.PlaneSize);
            for (int ki = 0; ki < window.Kernel; ki++)
            {
                int rowOffset = (ki * window.Dilation) - window.Padding;
                for (int kj = 0; kj < window.Kernel; kj++, row++)
                {
                    int columnOffset = (kj * window.Dilation) - window.Padding;
                    (int first, int end) = ValidRange(columnOffset, window.Stride, shape.Width, outWidth);
                    ReadOnlySpan<float> source = columns.Slice(row * rowStride, positions);
                    for (int oy = 0; oy < outHeight; oy++)
                    {
                        int iy = (oy * window.Stride) + rowOffset;
                        if (iy < 0 || iy >= shape.Height || first >= end)
                        {
                            continue;
                        }
                        ReadOnlySpan<float> line = source.Slice(oy * outWidth, outWidth);
                        Span<float> target = plane.Slice(iy * shape.Width, shape.Width);
                        if (window.Stride == 1)
                        {
                            Span<float> taps = target.Slice(first + columnOffset, end - first);
                            TensorPrimitives.Add(taps, line[first..end], taps);
                        }
                        else
                        {
                            for (int ox = first; ox < end; ox++)
                            {
                                target[(ox * window.Stride) + columnOffset] += line[ox];
                            }
                        }
                    }
                }
            }
        }
    }

    // The output columns [first, end) whose tap ox·stride + offset lies inside [0, length).
    private static (int First, int End) ValidRange(int offset, int stride, int length, int count)
    {
        int first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int last = length - 1 - offset;
        int end = last < 0 ? 0 : Math.Min(count, (last / stride) + 1);
        return (Math.Min(first, end), end);
    }

    private static void CheckSizes(int columnsLength, int rowStride, int imageLength, ImageShape shape,
        WindowGeometry window, int outHeight, int outWidth)
    {
        int rows = shape.Channels * window.Kernel * window.Kernel, positions = outHeight * outWidth;
        if (outHeight < 1 || outWidth < 1 || rowStride < positions || imageLength < shape.Size ||
            columnsLength < ((long)(rows - 1) * rowStride) + positions)
        {
            throw new ArgumentException(
                $"Invalid im2col sizes: image {shape} in {imageLength} floats, window {window}, {rows} rows of " +
                $"{positions} with stride {rowStride} in {columnsLength} floats.");
        }
    }
}
