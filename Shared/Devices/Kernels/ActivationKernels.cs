using ILGPU;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// Element-wise activations and their gradients, one thread per element; the PReLU slope gradient runs one thread per
/// feature, adding the rows in increasing order.
/// </summary>
internal static class ActivationKernels
{
    // input (N) -> output (N)
    public static void ReluForward(Index1D i, ArrayView<float> output, ArrayView<float> input)
    {
        // forward: y = max(x, 0)
        float x = input[i];
        output[i] = x > 0f ? x : 0f;
    }

    // input (N), outputGradient (N) -> inputGradient (N)
    public static void ReluBackward(Index1D i, ArrayView<float> inputGradient, ArrayView<float> input, ArrayView<float> outputGradient)
    {
        // forward: y = max(x, 0)  =>  dx = dy where x > 0, else 0
        inputGradient[i] = input[i] > 0f ? outputGradient[i] : 0f;
    }

    // input (N) -> output (N)
    public static void SigmoidForward(Index1D i, ArrayView<float> output, ArrayView<float> input)
    {
        // forward: y = 1 / (1 + e^-x)
        output[i] = 1f / (1f + MathF.Exp(-input[i]));
    }

    // output (N), outputGradient (N) -> inputGradient (N)
    public static void SigmoidBackward(Index1D i, ArrayView<float> inputGradient, ArrayView<float> output, ArrayView<float> outputGradient)
    {
        // forward: y = sigmoid(x)  =>  dx = dy ⊙ y ⊙ (1 - y)
        float y = output[i];
        inputGradient[i] = (1f - y) * y * outputGradient[i];
    }

    // input (N) -> output (N)
    public static void TanhForward(Index1D i, ArrayView<float> output, ArrayView<float> input)
    {
        // forward: y = tanh(x)
        output[i] = MathF.Tanh(input[i]);
    }

    // output (N), outputGradient (N) -> inputGradient (N)
    public static void TanhBackward(Index1D i, ArrayView<float> inputGradient, ArrayView<float> output, ArrayView<float> outputGradient)
    {
        // forward: y = tanh(x)  =>  dx = dy ⊙ (1 - y²)
        float y = output[i];
        inputGradient[i] = (1f - y * y) * outputGradient[i];
    }

    // input (N) -> output (N)
    public static void LeakyReluForward(Index1D i, ArrayView<float> output, ArrayView<float> input, float slope)
    {
        // forward: y = x > 0 ? x : slope · x
        float x = input[i];
        output[i] = x > 0f ? x : slope * x;
    }

    // input (N), outputGradient (N) -> inputGradient (N)
    public static void LeakyReluBackward(Index1D i, ArrayView<float> inputGradient, ArrayView<float> input,
        ArrayView<float> outputGradient, float slope)
    {
        // forward: y = x > 0 ? x : slope · x  =>  dx = x > 0 ? dy : slope · dy
        float dy = outputGradient[i];
        inputGradient[i] = input[i] > 0f ? dy : slope * dy;
    }

    // input (B, F), slope (F) -> output (B, F); one thread per element
    public static void ParametricReluForward(Index1D i, ArrayView<float> output, ArrayView<float> input, ArrayView<float> slope,
        int features)
    {
        // forward: y = x > 0 ? x : a_j · x
        float x = input[i];
        output[i] = x > 0f ? x : slope[i % features] * x;
    }

    // input (B, F), slope (F), outputGradient (B, F) -> inputGradient (B, F); one thread per element
    public static void ParametricReluInputGradient(Index1D i, ArrayView<float> inputGradient, ArrayView<float> input,
        ArrayView<float> slope, ArrayView<float> outputGradient, int features)
    {
        // forward: y = x > 0 ? x : a_j · x  =>  dx = x > 0 ? dy : a_j · dy
        float dy = outputGradient[i];
        inputGradient[i] = input[i] > 0f ? dy : slope[i % features] * dy;
    }

    // input (B, F), outputGradient (B, F) -> slopeGradient (F) += ...; one thread per feature, rows in increasing order
    public static void ParametricReluSlopeGradient(Index1D j, ArrayView<float> slopeGradient, ArrayView<float> input,
        ArrayView<float> outputGradient, int batch, int features)
    {
        // forward: y = x > 0 ? x : a_j · x  =>  da_j += sum over rows where x <= 0 of dy · x
        float sum = slopeGradient[j];
        for (int row = 0; row < batch; row++)
        {
            long at = (long)row * features + j;
            float x = input[at];
            if (!(x > 0f))
            {
                sum += outputGradient[at] * x;
            }
        }
        slopeGradient[j] = sum;
    }
}
