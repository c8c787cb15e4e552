using System.Numerics.Tensors;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>Rectified linear unit y = max(x, 0), element-wise; the gradient at 0 is taken as 0.</summary>
public sealed class Relu : Layer
{
    /// <param name="name">Layer name.</param>
    /// <param name="size">Features in and out.</param>
    public Relu(string name, int size)
        : base(name, size)
    {
    }

    public override int OutputSize => InputSize;

    // input (B, F) -> output (B, F)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        int length = batch * InputSize;
        // forward: y = max(x, 0)
        TensorPrimitives.Max(input[..length], 0f, output[..length]);
    }

    // outputGradient (B, F) -> inputGradient (B, F)
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        if (inputGradient.IsEmpty)
        {
            return;
        }
        int length = batch * InputSize;
        // forward: y = max(x, 0)  =>  dx = dy where x > 0, else 0
        for (int i = 0; i < length; i++)
        {
            inputGradient[i] = input[i] > 0f ? outputGradient[i] : 0f;
        }
    }
}
