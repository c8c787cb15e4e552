using ILGPU;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// <see cref="Numerics.Layers.Recurrent"/> on the device, besides the projections, which run on the
/// <see cref="DenseKernels"/>: layout copies between (B, T, ·) rows and the time-major (T, B, ·) sequences, and the
/// cells' element-wise step math, one thread per (row, hidden unit), forward and backward side by side. A thread reads
/// and writes only its own element of the carried gradients, so no two threads touch one float and every order is fixed.
/// </summary>
internal static class RecurrentKernels
{
    // source (rows, columns, size) -> destination (columns, rows, size): swaps the two outer axes; one thread per element
    public static void SwapOuterAxes(Index1D index, ArrayView<float> destination, ArrayView<float> source, int rows, int columns,
        int size)
    {
        int k = index % size;
        int pair = index / size;
        int column = pair % columns;
        int row = pair / columns;
        destination[((long)column * rows + row) * size + k] = source[index];
    }

    // destination (N) += source (N); one thread per element
    public static void Accumulate(Index1D index, ArrayView<float> destination, ArrayView<float> source) =>
        destination[index] += source[index];

    // hidden (T + 2, B, H), time t in slot t + 1 -> sequence (T, B, width), columns [offset, offset + H); one thread per
    // (t, row, unit), launched over T * B * H
    public static void GatherHidden(Index1D index, ArrayView<float> sequence, ArrayView<float> hidden, int batch,
        int hiddenSize, int width, int offset)
    {
        int unit = index % hiddenSize;
        int stepRow = index / hiddenSize;
        // forward: sequence[t, b] = [h_t forward, h_t reverse]
        sequence[(long)stepRow * width + offset + unit] = hidden[((long)batch + stepRow) * hiddenSize + unit];
    }

    // hidden (T + 2, B, H) -> output (B, width) for last (0) and mean (1), (B, T, width) for sequence (2), columns
    // [direction H, (direction + 1) H); one thread per (row, unit), launched over B * H
    public static void WriteOutput(Index1D index, ArrayView<float> output, ArrayView<float> hidden, int batch, int steps,
        int hiddenSize, int width, int direction, int mode)
    {
        int row = index / hiddenSize;
        int unit = index - row * hiddenSize;
        int column = direction * hiddenSize + unit;
        if (mode == 2)
        {
            // forward: y[b, t] = h_t
            for (int t = 0; t < steps; t++)
            {
                output[((long)row * steps + t) * width + column] = hidden[((long)(t + 1) * batch + row) * hiddenSize + unit];
            }
        }
        else if (mode == 0)
        {
            // forward: y[b] = [h_{T-1} forward, h_0 reverse], each direction's final state
            int slot = direction == 0 ? steps : 1;
            output[(long)row * width + column] = hidden[((long)slot * batch + row) * hiddenSize + unit];
        }
        else
        {
            // forward: y[b] = (1/T) Σ_t h_t, summed in time order
            float sum = 0f;
            for (int t = 0; t < steps; t++)
            {
                sum += hidden[((long)(t + 1) * batch + row) * hiddenSize + unit];
            }
            output[(long)row * width + column] = sum * (1f / steps);
        }
    }

    // outputGradient (B, width) or (B, T, width) -> sequenceGradient (T, B, width), mode as in WriteOutput; one thread per
    // (t, row, column), launched over T * B * width
    public static void ScatterOutputGradient(Index1D index, ArrayView<float> sequenceGradient, ArrayView<float> outputGradient,
        int batch, int steps, int hiddenSize, int width, int mode)
    {
        int column = index % width;
        int stepRow = index / width;
        int row = stepRow % batch;
        int t = stepRow / batch;
        float gradient;
        if (mode == 2)
        {
            // forward: y[b, t] = h_t  =>  dh_t = dy[b, t]
            gradient = outputGradient[((long)row * steps + t) * width + column];
        }
        else if (mode == 0)
        {
            // forward: y[b] = [h_{T-1} forward, h_0 reverse]  =>  only those states get dy
            int last = column < hiddenSize ? steps - 1 : 0;
            gradient = t == last ? outputGradient[(long)row * width + column] : 0f;
        }
        else
        {
            // forward: y[b] = (1/T) Σ_t h_t  =>  dh_t = dy[b] / T
            gradient = outputGradient[(long)row * width + column] * (1f / steps);
        }
        sequenceGradient[index] = gradient;
    }

    /// <summary>dL/dh of one step: the output's share plus, unless the step before in backward was a cut, the carried share.</summary>
    private static float HiddenGradient(ArrayView<float> sequenceGradient, ArrayView<float> carry, int row, int unit,
        int hiddenSize, int width, int offset, int carried)
    {
        // forward: the output holds h_t, and the next step reads it as h'  =>  dh_t = d(output)_t + carry
        float fromOutput = sequenceGradient[(long)row * width + offset + unit];
        return carried != 0 ? fromOutput + carry[(long)row * hiddenSize + unit] : fromOutput;
    }

    private static float Sigmoid(float a) => 1f / (1f + MathF.Exp(-a));

    // gates (B, H): in W_ih x + b_ih, out h; recurrent (B, H) = W_hh h' + b_hh -> hidden (B, H); one thread per element
    public static void ElmanForward(Index1D index, ArrayView<float> gates, ArrayView<float> hidden, ArrayView<float> recurrent,
        int relu)
    {
        // forward: a = W_ih x + b_ih + W_hh h' + b_hh; h = act(a)
        float a = gates[index] + recurrent[index];
        float h = relu != 0 ? (a > 0f ? a : 0f) : MathF.Tanh(a);
        gates[index] = h;
        hidden[index] = h;
    }

    // gates (B, H) = h, sequenceGradient (B, width), carry (B, H) -> gateGradient (B, H) = dL/da; one thread per element
    public static void ElmanBackward(Index1D index, ArrayView<float> gateGradient, ArrayView<float> gates,
        ArrayView<float> sequenceGradient, ArrayView<float> carry, int hiddenSize, int width, int offset, int relu, int carried)
    {
        int row = index / hiddenSize;
        int unit = index - row * hiddenSize;
        float dh = HiddenGradient(sequenceGradient, carry, row, unit, hiddenSize, width, offset, carried);
        float h = gates[index];
        // forward: h = max(0, a)  =>  da = dh [h > 0]; h = tanh(a)  =>  da = dh ⊙ (1 - h²)
        gateGradient[index] = relu != 0 ? (h > 0f ? dh : 0f) : (1f - h * h) * dh;
    }

    // gates (B, 4H): in W_ih x + b_ih, out the activated i, f, g, o; recurrent (B, 4H), previousCell (B, H) -> hidden,
    // cell (B, H); one thread per (row, unit), launched over B * H
    public static void LstmForward(Index1D index, ArrayView<float> gates, ArrayView<float> hidden, ArrayView<float> cell,
        ArrayView<float> recurrent, ArrayView<float> previousCell, int hiddenSize)
    {
        int row = index / hiddenSize;
        int unit = index - row * hiddenSize;
        long at = (long)row * 4 * hiddenSize + unit;
        // forward: i, f = σ(a_i), σ(a_f); g = tanh(a_g); o = σ(a_o)
        float i = Sigmoid(gates[at] + recurrent[at]);
        float f = Sigmoid(gates[at + hiddenSize] + recurrent[at + hiddenSize]);
        float g = MathF.Tanh(gates[at + 2 * hiddenSize] + recurrent[at + 2 * hiddenSize]);
        float o = Sigmoid(gates[at + 3 * hiddenSize] + recurrent[at + 3 * hiddenSize]);
        gates[at] = i;
        gates[at + hiddenSize] = f;
        gates[at + 2 * hiddenSize] = g;
        gates[at + 3 * hiddenSize] = o;
        // forward: c = f ⊙ c' + i ⊙ g; h = o ⊙ tanh(c)
        float c = f * previousCell[index] + i * g;
        cell[index] = c;
        hidden[index] = o * MathF.Tanh(c);
    }

    // gates (B, 4H) activated, cell, previousCell (B, H), sequenceGradient (B, width), carry (B, H), cellCarry (B, H) in
    // (dL/dc of later steps), out (dL/dc') -> gateGradient (B, 4H); one thread per (row, unit), launched over B * H
    public static void LstmBackward(Index1D index, ArrayView<float> gateGradient, ArrayView<float> cellCarry,
        ArrayView<float> gates, ArrayView<float> cell, ArrayView<float> previousCell, ArrayView<float> sequenceGradient,
        ArrayView<float> carry, int hiddenSize, int width, int offset, int carried)
    {
        int row = index / hiddenSize;
        int unit = index - row * hiddenSize;
        long at = (long)row * 4 * hiddenSize + unit;
        float dh = HiddenGradient(sequenceGradient, carry, row, unit, hiddenSize, width, offset, carried);
        float i = gates[at], f = gates[at + hiddenSize], g = gates[at + 2 * hiddenSize], o = gates[at + 3 * hiddenSize];
        float tanhC = MathF.Tanh(cell[index]);
        // forward: h = o ⊙ tanh(c)  =>  do = dh ⊙ tanh(c); dc = dc_later + dh ⊙ o ⊙ (1 - tanh²(c))
        float dO = dh * tanhC;
        float dc = (1f - tanhC * tanhC) * o * dh + (carried != 0 ? cellCarry[index] : 0f);
        // forward: c = f ⊙ c' + i ⊙ g  =>  di = dc ⊙ g, df = dc ⊙ c', dg = dc ⊙ i, dc' = dc ⊙ f
        float di = dc * g, df = dc * previousCell[index], dg = dc * i;
        cellCarry[index] = dc * f;
        // forward: i, f, o = σ(a)  =>  da = d· ⊙ σ (1 - σ); g = tanh(a_g)  =>  da_g = dg ⊙ (1 - g²)
        gateGradient[at] = di * (i * (1f - i));
        gateGradient[at + hiddenSize] = df * (f * (1f - f));
        gateGradient[at + 2 * hiddenSize] = dg * (1f - g * g);
        gateGradient[at + 3 * hiddenSize] = dO * (o * (1f - o));
    }

    // gates (B, 3H): in W_ih x + b_ih, out the activated r, z, n; recurrent (B, 3H), previousHidden (B, H) -> hidden (B, H),
    // kept (B, H) = W_hn h' + b_hn; one thread per (row, unit), launched over B * H
    public static void GruForward(Index1D index, ArrayView<float> gates, ArrayView<float> hidden, ArrayView<float> kept,
        ArrayView<float> recurrent, ArrayView<float> previousHidden, int hiddenSize)
    {
        int row = index / hiddenSize;
        int unit = index - row * hiddenSize;
        long at = (long)row * 3 * hiddenSize + unit;
        // forward: r, z = σ(W_i· x + b_i· + W_h· h' + b_h·)
        float r = Sigmoid(gates[at] + recurrent[at]);
        float z = Sigmoid(gates[at + hiddenSize] + recurrent[at + hiddenSize]);
        // forward: n = tanh(W_in x + b_in + r ⊙ (W_hn h' + b_hn))
        float hn = recurrent[at + 2 * hiddenSize];
        float n = MathF.Tanh(r * hn + gates[at + 2 * hiddenSize]);
        gates[at] = r;
        gates[at + hiddenSize] = z;
        gates[at + 2 * hiddenSize] = n;
        kept[index] = hn;
        // forward: h = (1 - z) ⊙ n + z ⊙ h' = n + z ⊙ (h' - n)
        hidden[index] = (previousHidden[index] - n) * z + n;
    }

    // gates (B, 3H) activated, kept (B, H), previousHidden (B, H), sequenceGradient (B, width), carry (B, H), direct (B, H)
    // in (dL/dh' bypassing W_hh of the step after), out (this step's) -> inputGateGradient (B, 3H) = dL/d(W_ih x + b_ih),
    // recurrentGateGradient (B, 3H) = dL/d(W_hh h' + b_hh); one thread per (row, unit), launched over B * H
    public static void GruBackward(Index1D index, ArrayView<float> inputGateGradient, ArrayView<float> recurrentGateGradient,
        ArrayView<float> direct, ArrayView<float> gates, ArrayView<float> kept, ArrayView<float> previousHidden,
        ArrayView<float> sequenceGradient, ArrayView<float> carry, int hiddenSize, int width, int offset, int carried)
    {
        int row = index / hiddenSize;
        int unit = index - row * hiddenSize;
        long at = (long)row * 3 * hiddenSize + unit;
        // The carry of the step after is its W_hh share plus its direct share, added in that order on the CPU too.
        float fromOutput = sequenceGradient[(long)row * width + offset + unit];
        float dh = carried != 0 ? fromOutput + (direct[index] + carry[index]) : fromOutput;
        float r = gates[at], z = gates[at + hiddenSize], n = gates[at + 2 * hiddenSize];
        // forward: h = n + z ⊙ (h' - n)  =>  dh' (direct) = dh ⊙ z, dz = dh ⊙ (h' - n), dn = dh ⊙ (1 - z)
        float directShare = dh * z;
        float dz = (previousHidden[index] - n) * dh;
        float dn = dh - directShare;
        direct[index] = directShare;
        // forward: n = tanh(a_n)  =>  da_n = dn ⊙ (1 - n²)
        float dan = dn * (1f - n * n);
        // forward: a_n = W_in x + b_in + r ⊙ hn  =>  dr = da_n ⊙ hn, dhn = da_n ⊙ r
        float dr = dan * kept[index];
        // forward: r, z = σ(a)  =>  da = d· ⊙ σ (1 - σ); both sums see the same gradient
        float dar = dr * (r * (1f - r));
        float daz = dz * (z * (1f - z));
        inputGateGradient[at] = dar;
        inputGateGradient[at + hiddenSize] = daz;
        inputGateGradient[at + 2 * hiddenSize] = dan;
        recurrentGateGradient[at] = dar;
        recurrentGateGradient[at + hiddenSize] = daz;
        recurrentGateGradient[at + 2 * hiddenSize] = dan * r;
    }
}
