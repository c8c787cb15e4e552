namespace DistributedTrainer.Numerics.Kernels;

/// <summary>
/// One correlation as <see cref="DirectConvolution"/> runs it: source planes (InChannels, InHeight, InWidth)
/// per sample, padded by <see cref="Padding"/> (negative: cropped), windows of Kernel x Kernel taps
/// <see cref="Dilation"/> apart every <see cref="Stride"/>, onto (OutChannels, OutHeight, OutWidth). The forward
/// pass and the weight gradient read x this way; the unit-stride input gradient reads dy this way.
/// </summary>
internal readonly record struct Correlation(int InChannels, int InHeight, int InWidth, int OutChannels, int OutHeight,
    int OutWidth, int Kernel, int Stride, int Dilation, int Padding)
{
    public int Taps => Kernel * Kernel;

    public int InSample => InChannels * InHeight * InWidth;

    public int OutSample => OutChannels * OutHeight * OutWidth;

    /// <summary>Rows of the padded source: the last window's last tap row, plus one.</summary>
    public int PaddedHeight => ((OutHeight - 1) * Stride) + ((Kernel - 1) * Dilation) + 1;

    /// <summary>
    /// Output columns one vector step covers: two vectors, or one when the row fits in one (LeNet's 10-wide rows
    /// would waste most of a second); 1 for the scalar loops.
    /// </summary>
    public int ChunkWidth(int lanes) => lanes == 1 ? 1 : OutWidth > lanes ? 2 * lanes : lanes;

    /// <summary>Columns of the padded source, so that the last chunk's full-width loads stay inside it.</summary>
    public int PaddedWidth(int chunkWidth) =>
        (((((OutWidth + chunkWidth - 1) / chunkWidth) * chunkWidth) - 1) * Stride) + ((Kernel - 1) * Dilation) + 1;
}
