using ILGPU;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// <see cref="Numerics.Layers.Conv2d"/> on the device, computed directly from the NCHW rows (no im2col): one thread per
/// element it writes, each summing its terms in a fixed order (input channel or output channel, then tap row, then tap
/// column), so no sum is split between threads and no atomics are needed: a device gives the same floats every run.
/// The parameter gradients are summed per sample first (B times more threads than weights) and then over the samples
/// in increasing order. They differ from the SIMD layer's (direct or im2col + GEMM) by rounding only.
/// <see cref="Numerics.Layers.ConvTranspose2d"/> runs on the same kernels over <see cref="ImageWindow.Transposed"/>: its
/// forward pass is this input gradient, its input gradient this forward pass, and its weight gradient this one with the
/// input and the output gradient swapped; only its bias is added by a kernel of its own.
/// </summary>
internal static class ConvolutionKernels
{
    // input (B, C, H, W), weight (O, C, K, K), bias (O) -> output (B, O, OH, OW); one thread per output element
    public static void Forward(Index1D index, ArrayView<float> output, ArrayView<float> input, ArrayView<float> weight,
        ArrayView<float> bias, ImageWindow g)
    {
        int plane = g.OutHeight * g.OutWidth;
        int row = index / g.OutputSize;
        int rest = index - row * g.OutputSize;
        int o = rest / plane;
        int position = rest - o * plane;
        int oy = position / g.OutWidth;
        int ox = position - oy * g.OutWidth;
        long x = (long)row * g.InputSize;
        float sum = 0f;
        // forward: y[o, i, j] = Σ_c Σ_a Σ_b w[o, c, a, b] x[c, i·s - p + a·d, j·s - p + b·d] + bias[o], zeros outside x
        for (int c = 0; c < g.Channels; c++)
        {
            long channel = x + (long)c * g.Height * g.Width;
            int taps = (o * g.Channels + c) * g.Kernel * g.Kernel;
            for (int a = 0; a < g.Kernel; a++)
            {
                int iy = oy * g.Stride - g.Padding + a * g.Dilation;
                if (iy < 0 || iy >= g.Height)
                {
                    continue;
                }
                for (int b = 0; b < g.Kernel; b++)
                {
                    int ix = ox * g.Stride - g.Padding + b * g.Dilation;
                    if (ix >= 0 && ix < g.Width)
                    {
                        sum += weight[taps + a * g.Kernel + b] * input[channel + iy * g.Width + ix];
                    }
                }
            }
        }
        output[index] = sum + bias[o];
    }

    // outputGradient (B, O, OH, OW), weight (O, C, K, K) -> inputGradient (B, C, H, W); one thread per input element
    public static void InputGradient(Index1D index, ArrayView<float> inputGradient, ArrayView<float> outputGradient,
        ArrayView<float> weight, ImageWindow g)
    {
        int plane = g.Height * g.Width;
        int row = index / g.InputSize;
        int rest = index - row * g.InputSize;
        int c = rest / plane;
        int position = rest - c * plane;
        int y = position / g.Width;
        int x = position - y * g.Width;
        long dy = (long)row * g.OutputSize;
        float sum = 0f;
        // forward: y[o, i, j] = Σ w[o, c, a, b] x[c, i·s - p + a·d, j·s - p + b·d]
        //   =>  dx[c, u, v] = Σ_o Σ_a Σ_b w[o, c, a, b] dy[o, i, j] over the (i, j) with i·s - p + a·d = u, j·s - p + b·d = v
        for (int o = 0; o < g.OutChannels; o++)
        {
            long channel = dy + (long)o * g.OutHeight * g.OutWidth;
            int taps = (o * g.Channels + c) * g.Kernel * g.Kernel;
            for (int a = 0; a < g.Kernel; a++)
            {
                int ty = y + g.Padding - a * g.Dilation;
                int i = ty / g.Stride;
                if (ty < 0 || i * g.Stride != ty || i >= g.OutHeight)
                {
                    continue;
                }
                for (int b = 0; b < g.Kernel; b++)
                {
                    int tx = x + g.Padding - b * g.Dilation;
                    int j = tx / g.Stride;
                    if (tx >= 0 && j * g.Stride == tx && j < g.OutWidth)
                    {
                        sum += weight[taps + a * g.Kernel + b] * outputGradient[channel + i * g.OutWidth + j];
                    }
                }
            }
        }
        inputGradient[index] = sum;
    }

    // outputGradient (B, O, OH, OW), input (B, C, H, W) -> sampleWeightGradient (B, O, C, K, K), overwritten; one thread
    // per (sample, weight)
    public static void SampleWeightGradient(Index1D index, ArrayView<float> sampleWeightGradient,
        ArrayView<float> outputGradient, ArrayView<float> input, ImageWindow g)
    {
        int weights = g.Weights;
        int row = index / weights;
        int rest = index - row * weights;
        int taps = g.Kernel * g.Kernel;
        int oc = rest / taps;
        int tap = rest - oc * taps;
        int o = oc / g.Channels;
        int c = oc - o * g.Channels;
        int a = tap / g.Kernel;
        int b = tap - a * g.Kernel;
        long dy = (long)row * g.OutputSize + (long)o * g.OutHeight * g.OutWidth;
        long x = (long)row * g.InputSize + (long)c * g.Height * g.Width;
        float sum = 0f;
        // forward: y[o, i, j] = Σ w[o, c, a, b] x[c, i·s - p + a·d, j·s - p + b·d]
        //   =>  dw[o, c, a, b] (this sample) = Σ_i Σ_j dy[o, i, j] x[c, i·s - p + a·d, j·s - p + b·d]
        for (int i = 0; i < g.OutHeight; i++)
        {
            int iy = i * g.Stride - g.Padding + a * g.Dilation;
            if (iy < 0 || iy >= g.Height)
            {
                continue;
            }
            for (int j = 0; j < g.OutWidth; j++)
            {
                int ix = j * g.Stride - g.Padding + b * g.Dilation;
                if (ix >= 0 && ix < g.Width)
                {
                    sum += outputGradient[dy + i * g.OutWidth + j] * input[x + iy * g.Width + ix];
                }
            }
        }
        sampleWeightGradient[index] = sum;
    }

    // outputGradient (B, O, OH, OW) -> sampleBiasGradient (B, O), overwritten; one thread per (sample, output channel)
    public static void SampleBiasGradient(Index1D index, ArrayView<float> sampleBiasGradient, ArrayView<float> outputGradient,
        ImageWindow g)
    {
        int plane = g.OutHeight * g.OutWidth;
        long at = (long)(int)index * plane;
        float sum = 0f;
        // forward: y[o, i, j] = ... + bias[o]  =>  dbias[o] (this sample) = Σ_i Σ_j dy[o, i, j]
        for (int k = 0; k < plane; k++)
        {
            sum += outputGradient[at + k];
        }
        sampleBiasGradient[index] = sum;
    }

    // output (B, O, OH, OW) += bias (O), per channel; one thread per output element. The transposed convolution's forward
    // pass, whose sums come from InputGradient, which has no bias.
    public static void AddChannelBias(Index1D index, ArrayView<float> output, ArrayView<float> bias, ImageWindow g)
    {
        int plane = g.OutHeight * g.OutWidth;
        int o = index / plane % g.OutChannels;
        output[index] += bias[o];
    }

    // perSample (B, N) -> gradient (N) += Σ_r perSample[r], rows in increasing order; one thread per column
    public static void AddSampleSums(Index1D column, ArrayView<float> gradient, ArrayView<float> perSample, int batch,
        int columns)
    {
        float sum = 0f;
        for (int row = 0; row < batch; row++)
        {
            sum += perSample[(long)row * columns + column];
        }
        gradient[column] += sum;
    }
}
