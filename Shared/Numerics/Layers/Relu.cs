using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        if (input.Length < length || outputGradient.Length < length || inputGradient.Length < length)
        {
            throw new ArgumentException(
                $"Relu '{Name}' backward over {batch} rows of {InputSize} needs {length} floats in input, output gradient " +
                $"and input gradient; got {input.Length}, {outputGradient.Length} and {inputGradient.Length}.");
        }
        ref float x = ref MemoryMarshal.GetReference(input);
        ref float dy = ref MemoryMarshal.GetReference(outputGradient);
        ref float dx = ref MemoryMarshal.GetReference(inputGradient);
        int i = 0;
        // forward: y = max(x, 0)  =>  dx = dy where x > 0, else 0
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var positive = Vector512.GreaterThan(Vector512.LoadUnsafe(ref x, (nuint)i), Vector512<float>.Zero);
                (Vector512.LoadUnsafe(ref dy, (nuint)i) & positive).StoreUnsafe(ref dx, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var positive = Vector256.GreaterThan(Vector256.LoadUnsafe(ref x, (nuint)i), Vector256<float>.Zero);
                (Vector256.LoadUnsafe(ref dy, (nuint)i) & positive).StoreUnsafe(ref dx, (nuint)i);
            }
        }
        for (; i < length; i++)
        {
            inputGradient[i] = input[i] > 0f ? outputGradient[i] : 0f;
        }
    }
}
