using ILGPU;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// <see cref="Numerics.Layers.LayerNorm"/>, <see cref="Numerics.Layers.BatchNorm"/> and
/// <see cref="Numerics.Layers.BatchNorm2d"/> on the device. Layer norm reduces along a row, so it runs a warp per row: the
/// lanes stride over the features (coalesced reads) and a fixed shuffle tree adds their partial sums, as
/// <see cref="DenseKernels.Forward"/> does. Batch norm reduces down a column, so it runs a thread per feature walking the
/// rows in increasing order, as the SIMD layer does; neighbouring threads read neighbouring floats. Batch norm 2d is the
/// same kernels with features of P = H·W positions (P = 1 for batch norm): a thread per channel walks the rows and each
/// row's plane in order. Every order is fixed, so a device gives the same floats every run; they differ from the SIMD
/// layers' by rounding only.
/// </summary>
internal static class NormalizationKernels
{
    // input (B, F), weight (F), bias (F) -> output (B, F), normalized (B, F), inverseStd (B); one warp per row, launched
    // over B * warp size
    public static void LayerNormForward(Index1D index, ArrayView<float> output, ArrayView<float> normalized,
        ArrayView<float> inverseStd, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias, int features,
        float epsilon)
    {
        int lanes = Warp.WarpSize;
        int row = index / lanes;
        int lane = index - row * lanes;
        long at = (long)row * features;
        float sum = 0f;
        for (int k = lane; k < features; k += lanes)
        {
            sum += input[at + k];
        }
        float mean = WarpTotal(sum) / features;
        float squares = 0f;
        for (int k = lane; k < features; k += lanes)
        {
            float centred = input[at + k] - mean;
            squares += centred * centred;
        }
        float inverse = 1f / MathF.Sqrt(WarpTotal(squares) / features + epsilon);
        // forward: x̂ = (x - mean(x)) / sqrt(var(x) + eps), var biased; y = gamma ⊙ x̂ + beta
        for (int k = lane; k < features; k += lanes)
        {
            float xHat = (input[at + k] - mean) * inverse;
            normalized[at + k] = xHat;
            output[at + k] = xHat * weight[k] + bias[k];
        }
        if (lane == 0)
        {
            inverseStd[row] = inverse;
        }
    }

    // outputGradient (B, F), normalized (B, F), inverseStd (B), weight (F) -> inputGradient (B, F); one warp per row,
    // launched over B * warp size
    public static void LayerNormInputGradient(Index1D index, ArrayView<float> inputGradient, ArrayView<float> outputGradient,
        ArrayView<float> normalized, ArrayView<float> inverseStd, ArrayView<float> weight, int features)
    {
        int lanes = Warp.WarpSize;
        int row = index / lanes;
        int lane = index - row * lanes;
        long at = (long)row * features;
        float sum = 0f;
        float sumNormalized = 0f;
        for (int k = lane; k < features; k += lanes)
        {
            float dxHat = outputGradient[at + k] * weight[k];
            sum += dxHat;
            sumNormalized += dxHat * normalized[at + k];
        }
        float meanGradient = WarpTotal(sum) / features;
        float meanGradientNormalized = WarpTotal(sumNormalized) / features;
        float inverse = inverseStd[row];
        // forward: x̂ = (x - mean) / sqrt(var + eps)  =>
        // dx = (dx̂ - mean(dx̂) - x̂ ⊙ mean(dx̂ ⊙ x̂)) / sqrt(var + eps), dx̂ = dy ⊙ gamma
        for (int k = lane; k < features; k += lanes)
        {
            float dxHat = outputGradient[at + k] * weight[k];
            inputGradient[at + k] = (dxHat - meanGradient - normalized[at + k] * meanGradientNormalized) * inverse;
        }
    }

    // outputGradient (B, F, P), normalized (B, F, P) -> weightGradient (F) += ..., biasGradient (F) += ...; one thread per
    // feature (a channel of P = H·W positions for batch norm 2d, P = 1 otherwise). Every layer norm and batch norm ends in
    // y = gamma ⊙ x̂ + beta, so all use it.
    public static void ScaleShiftGradient(Index1D feature, ArrayView<float> weightGradient, ArrayView<float> biasGradient,
        ArrayView<float> outputGradient, ArrayView<float> normalized, int batch, int features, int plane)
    {
        float sum = 0f;
        float sumNormalized = 0f;
        // forward: y = gamma ⊙ x̂ + beta  =>  dgamma += Σ_r Σ_p dy ⊙ x̂, dbeta += Σ_r Σ_p dy
        for (int row = 0; row < batch; row++)
        {
            long at = ((long)row * features + feature) * plane;
            for (int p = 0; p < plane; p++)
            {
                sum += outputGradient[at + p];
                sumNormalized += outputGradient[at + p] * normalized[at + p];
            }
        }
        weightGradient[feature] += sumNormalized;
        biasGradient[feature] += sum;
    }

    // input (B, F, P), weight (F), bias (F), buffers (2F: running mean, running var) -> output (B, F, P), normalized (B, F, P),
    // inverseStd (F), bufferChange (2F); one thread per feature, its statistics over the n = B·P values of its column
    // (P = H·W for batch norm 2d, 1 for batch norm)
    public static void BatchNormTrainingForward(Index1D feature, ArrayView<float> output, ArrayView<float> normalized,
        ArrayView<float> inverseStd, ArrayView<float> bufferChange, ArrayView<float> input, ArrayView<float> weight,
        ArrayView<float> bias, ArrayView<float> buffers, int batch, int features, int plane, float momentum, float epsilon)
    {
        int count = batch * plane;
        // mean = Σ x / n; var = Σ (x - mean)² / n (biased)
        float mean = 0f;
        for (int row = 0; row < batch; row++)
        {
            long at = ((long)row * features + feature) * plane;
            for (int p = 0; p < plane; p++)
            {
                mean += input[at + p];
            }
        }
        mean *= 1f / count;
        float variance = 0f;
        for (int row = 0; row < batch; row++)
        {
            long at = ((long)row * features + feature) * plane;
            for (int p = 0; p < plane; p++)
            {
                float centred = input[at + p] - mean;
                variance += centred * centred;
            }
        }
        variance *= 1f / count;
        // running = (1 - momentum) · running + momentum · batch statistic, with the unbiased variance var · n / (n - 1)
        // (PyTorch). Reported as GradientEngine reports a CPU shard's change, (after - before) · B, and not applied: every
        // shard of a step starts from the step's running statistics, and the update applies the sample-weighted mean.
        float runningMean = buffers[feature];
        float runningVar = buffers[features + feature];
        float newMean = (1f - momentum) * runningMean + momentum * mean;
        float newVar = (1f - momentum) * runningVar + momentum * variance * count / (count - 1);
        bufferChange[feature] = (newMean - runningMean) * batch;
        bufferChange[features + feature] = (newVar - runningVar) * batch;
        Normalize(feature, output, normalized, inverseStd, input, weight, bias, batch, features, plane, mean,
            1f / MathF.Sqrt(variance + epsilon));
    }

    // input (B, F, P), weight (F), bias (F), buffers (2F: running mean, running var) -> output (B, F, P), normalized
    // (B, F, P), inverseStd (F); one thread per feature
    public static void BatchNormEvaluationForward(Index1D feature, ArrayView<float> output, ArrayView<float> normalized,
        ArrayView<float> inverseStd, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> buffers, int batch, int features, int plane, float epsilon) =>
        Normalize(feature, output, normalized, inverseStd, input, weight, bias, batch, features, plane, buffers[feature],
            1f / MathF.Sqrt(buffers[features + feature] + epsilon));

    // outputGradient (B, F, P), normalized (B, F, P), inverseStd (F), weight (F) -> inputGradient (B, F, P),
    // weightGradient (F) += ..., biasGradient (F) += ...; one thread per feature. The sums Σ dy and Σ dy ⊙ x̂ the input
    // gradient needs are the bias and weight gradients, summed as ScaleShiftGradient sums them, so one pass gives all three.
    public static void BatchNormTrainingInputGradient(Index1D feature, ArrayView<float> inputGradient,
        ArrayView<float> weightGradient, ArrayView<float> biasGradient, ArrayView<float> outputGradient,
        ArrayView<float> normalized, ArrayView<float> inverseStd, ArrayView<float> weight, int batch, int features, int plane)
    {
        float sum = 0f;
        float sumNormalized = 0f;
        for (int row = 0; row < batch; row++)
        {
            long at = ((long)row * features + feature) * plane;
            for (int p = 0; p < plane; p++)
            {
                sum += outputGradient[at + p];
                sumNormalized += outputGradient[at + p] * normalized[at + p];
            }
        }
        weightGradient[feature] += sumNormalized;
        biasGradient[feature] += sum;
        int count = batch * plane;
        float meanGradient = sum * (1f / count);
        float negativeMeanGradientNormalized = sumNormalized * (-1f / count);
        float scale = weight[feature] * inverseStd[feature];
        // forward: x̂ = (x - mean) / sqrt(var + eps) with batch mean and biased var over n = B·P values  =>
        // dx = gamma / sqrt(var + eps) ⊙ (dy - Σ dy / n - x̂ ⊙ Σ (dy ⊙ x̂) / n)
        for (int row = 0; row < batch; row++)
        {
            long at = ((long)row * features + feature) * plane;
            for (int p = 0; p < plane; p++)
            {
                inputGradient[at + p] =
                    (outputGradient[at + p] - meanGradient + normalized[at + p] * negativeMeanGradientNormalized) * scale;
            }
        }
    }

    // outputGradient (B, F, P), inverseStd (F), weight (F) -> inputGradient (B, F, P); one thread per feature
    public static void BatchNormEvaluationInputGradient(Index1D feature, ArrayView<float> inputGradient,
        ArrayView<float> outputGradient, ArrayView<float> inverseStd, ArrayView<float> weight, int batch, int features,
        int plane)
    {
        float scale = weight[feature] * inverseStd[feature];
        // forward: y = gamma ⊙ (x - running_mean) / sqrt(running_var + eps) + beta  =>  dx = dy ⊙ scale
        for (int row = 0; row < batch; row++)
        {
            long at = ((long)row * features + feature) * plane;
            for (int p = 0; p < plane; p++)
            {
                inputGradient[at + p] = outputGradient[at + p] * scale;
            }
        }
    }

    /// <summary>Column <paramref name="feature"/> of x̂ and y given its mean and 1 / sqrt(var + eps).</summary>
    private static void Normalize(int feature, ArrayView<float> output, ArrayView<float> normalized,
        ArrayView<float> inverseStd, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias, int batch,
        int features, int plane, float mean, float inverse)
    {
        inverseStd[feature] = inverse;
        float gamma = weight[feature];
        float beta = bias[feature];
        // forward: x̂ = (x - mean) / sqrt(var + eps); y = gamma ⊙ x̂ + beta
        for (int row = 0; row < batch; row++)
        {
            long at = ((long)row * features + feature) * plane;
            for (int p = 0; p < plane; p++)
            {
                float xHat = (input[at + p] - mean) * inverse;
                normalized[at + p] = xHat;
                output[at + p] = xHat * gamma + beta;
            }
        }
    }

    /// <summary>
    /// The sum of every lane's <paramref name="partial"/> in a fixed order, the same value in every lane; the softmax
    /// layer's kernels (<see cref="SoftmaxKernels"/>) reduce their rows with it too.
    /// </summary>
    internal static float WarpTotal(float partial)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
        {
            partial += Warp.ShuffleDown(partial, offset);
        }
        // Lane 0 holds the total; handing every lane lane 0's value keeps the lanes from working on different roundings.
        return Warp.Shuffle(partial, 0);
    }
}
