using ILGPU;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// <see cref="Numerics.Layers.MaxPool2d"/> and <see cref="Numerics.Layers.AvgPool2d"/> on the device: one thread per
/// output element forward, one per input element backward, which walks the windows that hold it in the SIMD layer's
/// order (output row, then column) and adds their shares into a sum starting at 0, as the SIMD layer's += does: the
/// floats are the SIMD layer's bit for bit, with no atomics. Pools have O = C and dilation 1 (<see cref="ImageWindow"/>).
/// </summary>
internal static class PoolingKernels
{
    // input (B, C, H, W) -> output (B, C, OH, OW), argmax (B, C, OH, OW): the maximum's index within its plane (y·W + x);
    // one thread per output element
    public static void MaxForward(Index1D index, ArrayView<float> output, ArrayView<int> argmax, ArrayView<float> input,
        ImageWindow g)
    {
        int outPlane = g.OutHeight * g.OutWidth;
        int plane = index / outPlane;
        int position = index - plane * outPlane;
        int oy = position / g.OutWidth;
        int ox = position - oy * g.OutWidth;
        long at = (long)plane * g.Height * g.Width;
        int y0 = WindowStart(oy, g);
        int y1 = WindowEnd(oy, g.Height, g);
        int x0 = WindowStart(ox, g);
        int x1 = WindowEnd(ox, g.Width, g);
        int best = y0 * g.Width + x0;
        float max = input[at + best];
        for (int y = y0; y < y1; y++)
        {
            for (int x = x0; x < x1; x++)
            {
                float value = input[at + y * g.Width + x];
                // forward: y = max over the window (first maximum wins, NaN propagates), as MaxPool2d.Forward
                if (value > max || (float.IsNaN(value) && !float.IsNaN(max)))
                {
                    max = value;
                    best = y * g.Width + x;
                }
            }
        }
        output[index] = max;
        argmax[index] = best;
    }

    // outputGradient (B, C, OH, OW), argmax (B, C, OH, OW) -> inputGradient (B, C, H, W); one thread per input element
    public static void MaxBackward(Index1D index, ArrayView<float> inputGradient, ArrayView<float> outputGradient,
        ArrayView<int> argmax, ImageWindow g)
    {
        int inPlane = g.Height * g.Width;
        int plane = index / inPlane;
        int position = index - plane * inPlane;
        int y = position / g.Width;
        int x = position - y * g.Width;
        long at = (long)plane * g.OutHeight * g.OutWidth;
        float sum = 0f;
        // forward: y = x[argmax]  =>  dx[argmax] += dy, over the windows in output order
        int oy1 = LastWindow(y, g.OutHeight, g);
        int ox0 = FirstWindow(x, g);
        int ox1 = LastWindow(x, g.OutWidth, g);
        for (int oy = FirstWindow(y, g); oy <= oy1; oy++)
        {
            for (int ox = ox0; ox <= ox1; ox++)
            {
                long output = at + oy * g.OutWidth + ox;
                if (argmax[output] == position)
                {
                    sum += outputGradient[output];
                }
            }
        }
        inputGradient[index] = sum;
    }

    // input (B, C, H, W) -> output (B, C, OH, OW); one thread per output element
    public static void AvgForward(Index1D index, ArrayView<float> output, ArrayView<float> input, ImageWindow g)
    {
        int outPlane = g.OutHeight * g.OutWidth;
        int plane = index / outPlane;
        int position = index - plane * outPlane;
        int oy = position / g.OutWidth;
        int ox = position - oy * g.OutWidth;
        long at = (long)plane * g.Height * g.Width;
        int y0 = WindowStart(oy, g);
        int y1 = WindowEnd(oy, g.Height, g);
        int x0 = WindowStart(ox, g);
        int x1 = WindowEnd(ox, g.Width, g);
        float sum = 0f;
        for (int y = y0; y < y1; y++)
        {
            for (int x = x0; x < x1; x++)
            {
                sum += input[at + y * g.Width + x];
            }
        }
        // forward: y = Σ window x / (K·K), padding counted
        output[index] = sum * (1f / (g.Kernel * g.Kernel));
    }

    // outputGradient (B, C, OH, OW) -> inputGradient (B, C, H, W); one thread per input element
    public static void AvgBackward(Index1D index, ArrayView<float> inputGradient, ArrayView<float> outputGradient,
        ImageWindow g)
    {
        int inPlane = g.Height * g.Width;
        int plane = index / inPlane;
        int position = index - plane * inPlane;
        int y = position / g.Width;
        int x = position - y * g.Width;
        long at = (long)plane * g.OutHeight * g.OutWidth;
        float scale = 1f / (g.Kernel * g.Kernel);
        float sum = 0f;
        // forward: y = Σ window x / (K·K)  =>  dx += dy / (K·K) over the windows that hold x, in output order
        int oy1 = LastWindow(y, g.OutHeight, g);
        int ox0 = FirstWindow(x, g);
        int ox1 = LastWindow(x, g.OutWidth, g);
        for (int oy = FirstWindow(y, g); oy <= oy1; oy++)
        {
            for (int ox = ox0; ox <= ox1; ox++)
            {
                sum += outputGradient[at + oy * g.OutWidth + ox] * scale;
            }
        }
        inputGradient[index] = sum;
    }

    /// <summary>Where window <paramref name="o"/> starts along a side, clipped to the input: max(0, o·s - p).</summary>
    private static int WindowStart(int o, ImageWindow g) => Math.Max(0, o * g.Stride - g.Padding);

    /// <summary>Where window <paramref name="o"/> ends (exclusive) along a side of <paramref name="extent"/> inputs, clipped: min(extent, o·s - p + K).</summary>
    private static int WindowEnd(int o, int extent, ImageWindow g) => Math.Min(extent, o * g.Stride - g.Padding + g.Kernel);

    /// <summary>The first window along a side that holds input <paramref name="u"/>: the least o ≥ 0 with o·s - p + K &gt; u.</summary>
    private static int FirstWindow(int u, ImageWindow g)
    {
        int reach = u + g.Padding - g.Kernel + 1;
        return reach <= 0 ? 0 : (reach + g.Stride - 1) / g.Stride;
    }

    /// <summary>The last window along a side of <paramref name="windows"/> that holds input <paramref name="u"/>: the greatest o with o·s - p ≤ u.</summary>
    private static int LastWindow(int u, int windows, ImageWindow g) => Math.Min(windows - 1, (u + g.Padding) / g.Stride);
}
