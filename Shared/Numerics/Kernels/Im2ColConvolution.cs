using System.Numerics.Tensors;
using DistributedTrainer.Numerics.Layers;

namespace DistributedTrainer.Numerics.Kernels;

/// <summary>
/// 2-D convolution over NCHW batches as im2col + <see cref="Gemm"/>: the batch is unfolded into one matrix of
/// C·K·K rows by B·P columns (P = OH·OW), so the forward pass is one GEMM and the backward pass two. The GEMMs
/// thread over their output tiles and never split a sum, so results do not depend on the thread count. Every
/// method takes the GEMM's instruction set and thread count (the layer: the best set and
/// <see cref="ComputeThreads.ForCurrentThread"/>; the benchmark pins both).
/// </summary>
internal static class Im2ColConvolution
{
    /// <summary>Floats of the unfolded batch: C·K·K rows of B·P.</summary>
    public static long ColumnsLength(ImageShape shape, WindowGeometry window, int batch) =>
        (long)shape.Channels * window.Kernel * window.Kernel * batch * window.OutputLength(shape.Height) *
        window.OutputLength(shape.Width);

    /// <summary>
    /// input (B, C, H, W), weight (O, C·K·K), bias (O) or empty -> output (B, O, OH, OW); columns (C·K·K, B·P)
    /// keeps the unfolded input for <see cref="BackwardWeight"/>; product (O, B·P) is scratch.
    /// </summary>
    public static void Forward(GemmInstructionSet set, int threads, Span<float> output, Span<float> columns, Span<float> product, ReadOnlySpan<float> input,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int batch, ImageShape shape, int outChannels,
        WindowGeometry window)
    {
        ImageShape outShape = window.OutputShape(shape, outChannels);
        int positions = outShape.PlaneSize, columnsWide = batch * positions, rows = ColumnRows(shape, window);
        for (int b = 0; b < batch; b++)
        {
            Im2Col.Unfold(columns[(b * positions)..], columnsWide, input.Slice(b * shape.Size, shape.Size), shape, window);
        }
        // forward: Y = W · columns + b, (O, C·K·K) · (C·K·K, B·P)
        Gemm.Multiply(set, threads, product, weight, columns, outChannels, columnsWide, rows);
        for (int b = 0; b < batch; b++)
        {
            for (int o = 0; o < outChannels; o++)
            {
                ReadOnlySpan<float> source = product.Slice((o * columnsWide) + (b * positions), positions);
                Span<float> destination = output.Slice((b * outShape.Size) + (o * positions), positions);
                if (bias.IsEmpty)
                {
                    source.CopyTo(destination);
                }
                else
                {
                    TensorPrimitives.Add(source, bias[o], destination);
                }
            }
        }
    }

    /// <summary>
    /// weightGradient (O, C·K·K) += dY · columns^T and biasGradient (O) += Σ dY (skipped when empty), from
    /// outputGradient (B, O, OH, OW) and the columns the forward pass left; product (O, B·P) receives dY
    /// reordered for <see cref="BackwardData"/>.
    /// </summary>
    public static void BackwardWeight(GemmInstructionSet set, int threads, Span<float> weightGradient, Span<float> biasGradient, Span<float> product,
        ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> columns, int batch, ImageShape shape, int outChannels,
        WindowGeometry window)
    {
        ImageShape outShape = window.OutputShape(shape, outChannels);
        int positions = outShape.PlaneSize, columnsWide = batch * positions;
        for (int b = 0; b < batch; b++)
        {
            for (int o = 0; o < outChannels; o++)
            {
                outputGradient.Slice((b * outShape.Size) + (o * positions), positions)
                    .CopyTo(product.Slice((o * columnsWide) + (b * positions), positions));
            }
        }
        // forward: Y = W · columns + b  =>  dW += dY · columns^T, (O, B·P) · (B·P, C·K·K)
        Gemm.Multiply(set, threads, weightGradient, product, columns, outChannels, ColumnRows(shape, window), columnsWide,
            transposeB: true, accumulate: true);
        if (!biasGradient.IsEmpty)
        {
            // forward: Y = ... + b  =>  db[o] += Σ over samples and positions of dY[o]
            for (int o = 0; o < outChannels; o++)
            {
                biasGradient[o] += TensorPrimitives.Sum(product.Slice(o * columnsWide, columnsWide));
            }
        }
    }

    /// <summary>
    /// inputGradient (B, C, H, W) = col2im(W^T · dY), overwritten, from weight (O, C·K·K) and the product
    /// <see cref="BackwardWeight"/> left; columns (C·K·K, B·P) is overwritten with the column gradient.
    /// </summary>
    public static void BackwardData(GemmInstructionSet set, int threads, Span<float> inputGradient, Span<float> columns, ReadOnlySpan<float> product,
        ReadOnlySpan<float> weight, int batch, ImageShape shape, int outChannels, WindowGeometry window)
    {
        int positions = window.OutputShape(shape, outChannels).PlaneSize, columnsWide = batch * positions;
        // forward: Y = W · columns  =>  dColumns = W^T · dY, (C·K·K, O) · (O, B·P)
        Gemm.Multiply(set, threads, columns, weight, product, ColumnRows(shape, window), columnsWide, outChannels, transposeA: true);
        // forward: columns = im2col(x)  =>  dx = col2im(dColumns)
        inputGradient[..(batch * shape.Size)].Clear();
        for (int b = 0; b < batch; b++)
        {
            Im2Col.Fold(inputGradient.Slice(b * shape.Size, shape.Size), columns[(b * positions)..], columnsWide, shape, window);
        }
    }

    // C·K·K: the length of one output position's receptive field, the GEMM's inner dimension.
    private static int ColumnRows(ImageShape shape, WindowGeometry window) => shape.Channels * window.Kernel * window.Kernel;
}
