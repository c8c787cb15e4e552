using ILGPU;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>Element-wise activations and their gradients, one thread per element.</summary>
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
}
