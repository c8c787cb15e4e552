using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DistributedTrainer.Numerics.Kernels;

/// <summary>
/// The vector loops of <see cref="DirectConvolution"/> at unit stride, for 512- and 256-bit vectors. A chunk is
/// one or two vectors of adjacent output columns. Forward rows keep four output channels x two vectors in
/// registers (8 accumulators: each loaded input vector feeds four FMAs, each broadcast weight two), a leftover
/// channel one x two. Weight-gradient taps keep four taps x two vectors of partial sums, each loaded dy vector
/// feeding four FMAs. Every lane sums its own column in the fixed order channel, tap (forward) or row, chunk
/// (weight gradient).
/// </summary>
/// <remarks>
/// Source rows are padded (see <see cref="Correlation.PaddedWidth"/>) so full-width loads never leave them;
/// lanes past the last output column compute values nobody stores, or multiply zero dy padding.
/// </remarks>
internal readonly unsafe struct DirectConvolutionRows
{
    private readonly float* _source;
    private readonly nint _plane;
    private readonly int _channels;
    private readonly int* _taps;
    private readonly int _tapCount;
    private readonly float* _spill;

    /// <param name="source">Padded source planes (channels, Hp, Wp) of one sample.</param>
    /// <param name="plane">Hp·Wp.</param>
    /// <param name="channels">Source channels summed over.</param>
    /// <param name="taps">Offset of each tap (a, b) from its window's corner: a·d·Wp + b·d.</param>
    /// <param name="tapCount">K·K.</param>
    /// <param name="spill">Room for one chunk (32 floats), for rows that end inside a chunk.</param>
    public DirectConvolutionRows(float* source, nint plane, int channels, int* taps, int tapCount, float* spill)
    {
        _source = source;
        _plane = plane;
        _channels = channels;
        _taps = taps;
        _tapCount = tapCount;
        _spill = spill;
    }

    /// <summary>
    /// Four output channels, one chunk: target rows (4, valid), outPlane apart, = bias + Σ over channels and taps
    /// of weights (channels, taps, 4) times the source at row.
    /// </summary>
    public void Four(int lanes, int chunkWidth, float* row, float* weights, float* bias, float* target, int outPlane, int valid)
    {
        if (lanes == 16)
        {
            if (chunkWidth == 32)
            {
                Four512x2(row, weights, bias, target, outPlane, valid);
            }
            else
            {
                Four512x1(row, weights, bias, target, outPlane, valid);
            }
        }
        else if (chunkWidth == 16)
        {
            Four256x2(row, weights, bias, target, outPlane, valid);
        }
        else
        {
            Four256x1(row, weights, bias, target, outPlane, valid);
        }
    }

    /// <summary>One output channel, one chunk; its weights are every fourth float of weights (the packed block).</summary>
    public void One(int lanes, int chunkWidth, float* row, float* weights, float* bias, float* target, int valid)
    {
        if (lanes == 16)
        {
            if (chunkWidth == 32)
            {
                One512x2(row, weights, bias, target, valid);
            }
            else
            {
                One512x1(row, weights, bias, target, valid);
            }
        }
        else if (chunkWidth == 16)
        {
            One256x2(row, weights, bias, target, valid);
        }
        else
        {
            One256x1(row, weights, bias, target, valid);
        }
    }

    /// <summary>
    /// partial (channels, taps, chunkWidth) += per lane, Σ over rows and chunks of gradient (rows, gradientWidth)
    /// times the source at each tap; gradientWidth is whole chunks, zero past the output's last column.
    /// </summary>
    public void WeightGradient(int lanes, int chunkWidth, float* partial, float* gradient, int gradientWidth, int rows,
        int paddedWidth)
    {
        if (lanes == 16)
        {
            if (chunkWidth == 32)
            {
                WeightGradient512x2(partial, gradient, gradientWidth, rows, paddedWidth);
            }
            else
            {
                WeightGradient512x1(partial, gradient, gradientWidth, rows, paddedWidth);
            }
        }
        else if (chunkWidth == 16)
        {
            WeightGradient256x2(partial, gradient, gradientWidth, rows, paddedWidth);
        }
        else
        {
            WeightGradient256x1(partial, gradient, gradientWidth, rows, paddedWidth);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void Four512x1(float* row, float* weights, float* bias, float* target, int outPlane, int valid) =>
        Four512(1, row, weights, bias, target, outPlane, valid);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void One512x1(float* row, float* weights, float* bias, float* target, int valid) =>
        One512(1, row, weights, bias, target, valid);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void WeightGradient512x1(float* partial, float* gradient, int gradientWidth, int rows, int paddedWidth) =>
        WeightGradient512(1, partial, gradient, gradientWidth, rows, paddedWidth);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void Four512x2(float* row, float* weights, float* bias, float* target, int outPlane, int valid) =>
        Four512(2, row, weights, bias, target, outPlane, valid);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void One512x2(float* row, float* weights, float* bias, float* target, int valid) =>
        One512(2, row, weights, bias, target, valid);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void WeightGradient512x2(float* partial, float* gradient, int gradientWidth, int rows, int paddedWidth) =>
        WeightGradient512(2, partial, gradient, gradientWidth, rows, paddedWidth);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void Four256x1(float* row, float* weights, float* bias, float* target, int outPlane, int valid) =>
        Four256(1, row, weights, bias, target, outPlane, valid);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void One256x1(float* row, float* weights, float* bias, float* target, int valid) =>
        One256(1, row, weights, bias, target, valid);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void WeightGradient256x1(float* partial, float* gradient, int gradientWidth, int rows, int paddedWidth) =>
        WeightGradient256(1, partial, gradient, gradientWidth, rows, paddedWidth);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void Four256x2(float* row, float* weights, float* bias, float* target, int outPlane, int valid) =>
        Four256(2, row, weights, bias, target, outPlane, valid);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void One256x2(float* row, float* weights, float* bias, float* target, int valid) =>
        One256(2, row, weights, bias, target, valid);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private void WeightGradient256x2(float* partial, float* gradient, int gradientWidth, int rows, int paddedWidth) =>
        WeightGradient256(2, partial, gradient, gradientWidth, rows, paddedWidth);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Four512(int vectors, float* row, float* weights, float* bias, float* target, int outPlane, int valid)
    {
        int channels = _channels, tapCount = _tapCount;
        nint plane = _plane;
        int* taps = _taps;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        if (bias != null)
        {
            a0 = Vector512.Create(bias[0]);
            a1 = Vector512.Create(bias[1]);
            a2 = Vector512.Create(bias[2]);
            a3 = Vector512.Create(bias[3]);
        }
        Vector512<float> b0 = a0, b1 = a1, b2 = a2, b3 = a3;
        for (int c = 0; c < channels; c++)
        {
            float* source = row + (c * plane), w = weights + (c * tapCount * 4);
            for (int t = 0; t < tapCount; t++, w += 4)
            {
                float* p = source + taps[t];
                Vector512<float> x0 = Vector512.Load(p);
                Vector512<float> x1 = vectors == 2 ? Vector512.Load(p + 16) : default;
                Vector512<float> w0 = Vector512.Create(w[0]);
                a0 = GemmFma.MulAdd(w0, x0, a0);
                Vector512<float> w1 = Vector512.Create(w[1]);
                a1 = GemmFma.MulAdd(w1, x0, a1);
                Vector512<float> w2 = Vector512.Create(w[2]);
                a2 = GemmFma.MulAdd(w2, x0, a2);
                Vector512<float> w3 = Vector512.Create(w[3]);
                a3 = GemmFma.MulAdd(w3, x0, a3);
                if (vectors == 2)
                {
                    b0 = GemmFma.MulAdd(w0, x1, b0);
                    b1 = GemmFma.MulAdd(w1, x1, b1);
                    b2 = GemmFma.MulAdd(w2, x1, b2);
                    b3 = GemmFma.MulAdd(w3, x1, b3);
                }
            }
        }
        Store512(vectors, target, a0, b0, valid);
        Store512(vectors, target + outPlane, a1, b1, valid);
        Store512(vectors, target + (2 * outPlane), a2, b2, valid);
        Store512(vectors, target + (3 * outPlane), a3, b3, valid);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void One512(int vectors, float* row, float* weights, float* bias, float* target, int valid)
    {
        int channels = _channels, tapCount = _tapCount;
        nint plane = _plane;
        int* taps = _taps;
        Vector512<float> a0 = bias == null ? default : Vector512.Create(bias[0]), b0 = a0;
        for (int c = 0; c < channels; c++)
        {
            float* source = row + (c * plane), w = weights + (c * tapCount * 4);
            for (int t = 0; t < tapCount; t++)
            {
                float* p = source + taps[t];
                Vector512<float> w0 = Vector512.Create(w[t * 4]);
                a0 = GemmFma.MulAdd(w0, Vector512.Load(p), a0);
                if (vectors == 2)
                {
                    b0 = GemmFma.MulAdd(w0, Vector512.Load(p + 16), b0);
                }
            }
        }
        Store512(vectors, target, a0, b0, valid);
    }

    // sums (4 taps, chunk) += Σ over rows and chunks of dy times the taps' shifted input rows.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FourTaps512(int vectors, float* sums, int chunk, float* plane, int* offsets, float* gradient,
        int gradientWidth, int rows, int paddedWidth)
    {
        int o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3];
        Vector512<float> a0 = Vector512.Load(sums), a1 = Vector512.Load(sums + chunk);
        Vector512<float> a2 = Vector512.Load(sums + (2 * chunk)), a3 = Vector512.Load(sums + (3 * chunk));
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        if (vectors == 2)
        {
            b0 = Vector512.Load(sums + 16);
            b1 = Vector512.Load(sums + chunk + 16);
            b2 = Vector512.Load(sums + (2 * chunk) + 16);
            b3 = Vector512.Load(sums + (3 * chunk) + 16);
        }
        for (int i = 0; i < rows; i++)
        {
            float* dy = gradient + (i * gradientWidth), x = plane + (i * paddedWidth);
            for (int j = 0; j < gradientWidth; j += chunk, dy += chunk, x += chunk)
            {
                Vector512<float> g0 = Vector512.Load(dy);
                a0 = GemmFma.MulAdd(g0, Vector512.Load(x + o0), a0);
                a1 = GemmFma.MulAdd(g0, Vector512.Load(x + o1), a1);
                a2 = GemmFma.MulAdd(g0, Vector512.Load(x + o2), a2);
                a3 = GemmFma.MulAdd(g0, Vector512.Load(x + o3), a3);
                if (vectors == 2)
                {
                    Vector512<float> g1 = Vector512.Load(dy + 16);
                    b0 = GemmFma.MulAdd(g1, Vector512.Load(x + o0 + 16), b0);
                    b1 = GemmFma.MulAdd(g1, Vector512.Load(x + o1 + 16), b1);
                    b2 = GemmFma.MulAdd(g1, Vector512.Load(x + o2 + 16), b2);
                    b3 = GemmFma.MulAdd(g1, Vector512.Load(x + o3 + 16), b3);
                }
            }
        }
        a0.Store(sums);
        a1.Store(sums + chunk);
        a2.Store(sums + (2 * chunk));
        a3.Store(sums + (3 * chunk));
        if (vectors == 2)
        {
            b0.Store(sums + 16);
            b1.Store(sums + chunk + 16);
            b2.Store(sums + (2 * chunk) + 16);
            b3.Store(sums + (3 * chunk) + 16);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OneTap512(int vectors, float* sums, int chunk, float* plane, int offset, float* gradient,
        int gradientWidth, int rows, int paddedWidth)
    {
        Vector512<float> a0 = Vector512.Load(sums), b0 = vectors == 2 ? Vector512.Load(sums + 16) : default;
        for (int i = 0; i < rows; i++)
        {
            float* dy = gradient + (i * gradientWidth), x = plane + (i * paddedWidth) + offset;
            for (int j = 0; j < gradientWidth; j += chunk, dy += chunk, x += chunk)
            {
                a0 = GemmFma.MulAdd(Vector512.Load(dy), Vector512.Load(x), a0);
                if (vectors == 2)
                {
                    b0 = GemmFma.MulAdd(Vector512.Load(dy + 16), Vector512.Load(x + 16), b0);
                }
            }
        }
        a0.Store(sums);
        if (vectors == 2)
        {
            b0.Store(sums + 16);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WeightGradient512(int vectors, float* partial, float* gradient, int gradientWidth, int rows, int paddedWidth)
    {
        int chunk = vectors * 16;
        for (int c = 0; c < _channels; c++)
        {
            float* plane = _source + (c * _plane), sums = partial + (c * _tapCount * chunk);
            int t = 0;
            for (; t + 4 <= _tapCount; t += 4)
            {
                FourTaps512(vectors, sums + (t * chunk), chunk, plane, _taps + t, gradient, gradientWidth, rows, paddedWidth);
            }
            for (; t < _tapCount; t++)
            {
                OneTap512(vectors, sums + (t * chunk), chunk, plane, _taps[t], gradient, gradientWidth, rows, paddedWidth);
            }
        }
    }

    // A chunk of output columns: stored whole, or through the spill row when the row ends inside it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Store512(int vectors, float* target, Vector512<float> first, Vector512<float> second, int valid)
    {
        if (valid == vectors * 16)
        {
            first.Store(target);
            if (vectors == 2)
            {
                second.Store(target + 16);
            }
            return;
        }
        first.Store(_spill);
        if (vectors == 2)
        {
            second.Store(_spill + 16);
        }
        new ReadOnlySpan<float>(_spill, valid).CopyTo(new Span<float>(target, valid));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Four256(int vectors, float* row, float* weights, float* bias, float* target, int outPlane, int valid)
    {
        int channels = _channels, tapCount = _tapCount;
        nint plane = _plane;
        int* taps = _taps;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        if (bias != null)
        {
            a0 = Vector256.Create(bias[0]);
            a1 = Vector256.Create(bias[1]);
            a2 = Vector256.Create(bias[2]);
            a3 = Vector256.Create(bias[3]);
        }
        Vector256<float> b0 = a0, b1 = a1, b2 = a2, b3 = a3;
        for (int c = 0; c < channels; c++)
        {
            float* source = row + (c * plane), w = weights + (c * tapCount * 4);
            for (int t = 0; t < tapCount; t++, w += 4)
            {
                float* p = source + taps[t];
                Vector256<float> x0 = Vector256.Load(p);
                Vector256<float> x1 = vectors == 2 ? Vector256.Load(p + 8) : default;
                Vector256<float> w0 = Vector256.Create(w[0]);
                a0 = GemmFma.MulAdd(w0, x0, a0);
                Vector256<float> w1 = Vector256.Create(w[1]);
                a1 = GemmFma.MulAdd(w1, x0, a1);
                Vector256<float> w2 = Vector256.Create(w[2]);
                a2 = GemmFma.MulAdd(w2, x0, a2);
                Vector256<float> w3 = Vector256.Create(w[3]);
                a3 = GemmFma.MulAdd(w3, x0, a3);
                if (vectors == 2)
                {
                    b0 = GemmFma.MulAdd(w0, x1, b0);
                    b1 = GemmFma.MulAdd(w1, x1, b1);
                    b2 = GemmFma.MulAdd(w2, x1, b2);
                    b3 = GemmFma.MulAdd(w3, x1, b3);
                }
            }
        }
        Store256(vectors, target, a0, b0, valid);
        Store256(vectors, target + outPlane, a1, b1, valid);
        Store256(vectors, target + (2 * outPlane), a2, b2, valid);
        Store256(vectors, target + (3 * outPlane), a3, b3, valid);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void One256(int vectors, float* row, float* weights, float* bias, float* target, int valid)
    {
        int channels = _channels, tapCount = _tapCount;
        nint plane = _plane;
        int* taps = _taps;
        Vector256<float> a0 = bias == null ? default : Vector256.Create(bias[0]), b0 = a0;
        for (int c = 0; c < channels; c++)
        {
            float* source = row + (c * plane), w = weights + (c * tapCount * 4);
            for (int t = 0; t < tapCount; t++)
            {
                float* p = source + taps[t];
                Vector256<float> w0 = Vector256.Create(w[t * 4]);
                a0 = GemmFma.MulAdd(w0, Vector256.Load(p), a0);
                if (vectors == 2)
                {
                    b0 = GemmFma.MulAdd(w0, Vector256.Load(p + 8), b0);
                }
            }
        }
        Store256(vectors, target, a0, b0, valid);
    }

    // sums (4 taps, chunk) += Σ over rows and chunks of dy times the taps' shifted input rows.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FourTaps256(int vectors, float* sums, int chunk, float* plane, int* offsets, float* gradient,
        int gradientWidth, int rows, int paddedWidth)
    {
        int o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3];
        Vector256<float> a0 = Vector256.Load(sums), a1 = Vector256.Load(sums + chunk);
        Vector256<float> a2 = Vector256.Load(sums + (2 * chunk)), a3 = Vector256.Load(sums + (3 * chunk));
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        if (vectors == 2)
        {
            b0 = Vector256.Load(sums + 8);
            b1 = Vector256.Load(sums + chunk + 8);
            b2 = Vector256.Load(sums + (2 * chunk) + 8);
            b3 = Vector256.Load(sums + (3 * chunk) + 8);
        }
        for (int i = 0; i < rows; i++)
        {
            float* dy = gradient + (i * gradientWidth), x = plane + (i * paddedWidth);
            for (int j = 0; j < gradientWidth; j += chunk, dy += chunk, x += chunk)
            {
                Vector256<float> g0 = Vector256.Load(dy);
                a0 = GemmFma.MulAdd(g0, Vector256.Load(x + o0), a0);
                a1 = GemmFma.MulAdd(g0, Vector256.Load(x + o1), a1);
                a2 = GemmFma.MulAdd(g0, Vector256.Load(x + o2), a2);
                a3 = GemmFma.MulAdd(g0, Vector256.Load(x + o3), a3);
                if (vectors == 2)
                {
                    Vector256<float> g1 = Vector256.Load(dy + 8);
                    b0 = GemmFma.MulAdd(g1, Vector256.Load(x + o0 + 8), b0);
                    b1 = GemmFma.MulAdd(g1, Vector256.Load(x + o1 + 8), b1);
                    b2 = GemmFma.MulAdd(g1, Vector256.Load(x + o2 + 8), b2);
                    b3 = GemmFma.MulAdd(g1, Vector256.Load(x + o3 + 8), b3);
                }
            }
        }
        a0.Store(sums);
        a1.Store(sums + chunk);
        a2.Store(sums + (2 * chunk));
        a3.Store(sums + (3 * chunk));
        if (vectors == 2)
        {
            b0.Store(sums + 8);
            b1.Store(sums + chunk + 8);
            b2.Store(sums + (2 * chunk) + 8);
            b3.Store(sums + (3 * chunk) + 8);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OneTap256(int vectors, float* sums, int chunk, float* plane, int offset, float* gradient,
        int gradientWidth, int rows, int paddedWidth)
    {
        Vector256<float> a0 = Vector256.Load(sums), b0 = vectors == 2 ? Vector256.Load(sums + 8) : default;
        for (int i = 0; i < rows; i++)
        {
            float* dy = gradient + (i * gradientWidth), x = plane + (i * paddedWidth) + offset;
            for (int j = 0; j < gradientWidth; j += chunk, dy += chunk, x += chunk)
            {
                a0 = GemmFma.MulAdd(Vector256.Load(dy), Vector256.Load(x), a0);
                if (vectors == 2)
                {
                    b0 = GemmFma.MulAdd(Vector256.Load(dy + 8), Vector256.Load(x + 8), b0);
                }
            }
        }
        a0.Store(sums);
        if (vectors == 2)
        {
            b0.Store(sums + 8);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WeightGradient256(int vectors, float* partial, float* gradient, int gradientWidth, int rows, int paddedWidth)
    {
        int chunk = vectors * 8;
        for (int c = 0; c < _channels; c++)
        {
            float* plane = _source + (c * _plane), sums = partial + (c * _tapCount * chunk);
            int t = 0;
            for (; t + 4 <= _tapCount; t += 4)
            {
                FourTaps256(vectors, sums + (t * chunk), chunk, plane, _taps + t, gradient, gradientWidth, rows, paddedWidth);
            }
            for (; t < _tapCount; t++)
            {
                OneTap256(vectors, sums + (t * chunk), chunk, plane, _taps[t], gradient, gradientWidth, rows, paddedWidth);
            }
        }
    }

    // A chunk of output columns: stored whole, or through the spill row when the row ends inside it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Store256(int vectors, float* target, Vector256<float> first, Vector256<float> second, int valid)
    {
        if (valid == vectors * 8)
        {
            first.Store(target);
            if (vectors == 2)
            {
                second.Store(target + 8);
            }
            return;
        }
        first.Store(_spill);
        if (vectors == 2)
        {
            second.Store(_spill + 8);
        }
        new ReadOnlySpan<float>(_spill, valid).CopyTo(new Span<float>(target, valid));
    }
}
