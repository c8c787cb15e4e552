namespace DistributedTrainer.Numerics.Layers;

/// <summary>Leaky ReLU y = x for x &gt; 0, else slope · x, element-wise.</summary>
public sealed class LeakyRelu : Layer
{
    private readonly float _slope;

    /// <param name="name">Layer name.</param>
    /// <param name="size">Features in and out.</param>
    /// <param name="slope">Slope for negative inputs; default 0.01.</param>
    public LeakyRelu(string name, int size, float slope = 0.01f)
        : base(name, size)
    {
        if (!float.IsFinite(slope))
        {
            throw new ArgumentException($"Invalid slope for leaky ReLU '{name}': {slope} (must be finite).", nameof(slope));
        }
        _slope = slope;
    }

    public override int OutputSize => InputSize;

    /// <summary>Slope for negative inputs.</summary>
    public float Slope => _slope;

    // input (B, F) -> output (B, F)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        int length = batch * InputSize;
        // forward: y = x > 0 ? x : slope · x
        for (int i = 0; i < length; i++)
        {
            float x = input[i];
            output[i] = x > 0f ? x : _slope * x;
        }
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
        // forward: y = x > 0 ? x : slope · x  =>  dx = x > 0 ? dy : slope · dy
        for (int i = 0; i < length; i++)
        {
            inputGradient[i] = input[i] > 0f ? outputGradient[i] : _slope * outputGradient[i];
        }
    }
}
