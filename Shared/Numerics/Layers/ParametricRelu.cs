namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// Parametric ReLU (He et al. 2015): y = x for x &gt; 0, else a_j · x, with one learned slope per feature held
/// in the parameter "slope" (features).
/// </summary>
public sealed class ParametricRelu : Layer
{
    private readonly float _initialSlope;

    /// <param name="name">Layer name; the parameter is "&lt;name&gt;.slope".</param>
    /// <param name="size">Features in and out.</param>
    /// <param name="initialSlope">Value every slope starts from; default 0.25.</param>
    public ParametricRelu(string name, int size, float initialSlope = 0.25f)
        : base(name, size)
    {
        if (!float.IsFinite(initialSlope))
        {
            throw new ArgumentException($"Invalid initial slope for PReLU '{name}': {initialSlope} (must be finite).",
                nameof(initialSlope));
        }
        _initialSlope = initialSlope;
    }

    public override int OutputSize => InputSize;

    public override IReadOnlyList<ParameterDeclaration> DeclareParameters() =>
        [new("slope", [InputSize], ParameterRole.Scale)];

    public override void Initialize(Random random) => Store.ValuesOf(ParameterViews[0]).Fill(_initialSlope);

    // input (B, F), slope (F) -> output (B, F)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        ReadOnlySpan<float> slope = Store.ValuesOf(ParameterViews[0]);
        for (int row = 0; row < batch; row++)
        {
            int at = row * InputSize;
            // forward: y = x > 0 ? x : a_j · x
            for (int j = 0; j < InputSize; j++)
            {
                float x = input[at + j];
                output[at + j] = x > 0f ? x : slope[j] * x;
            }
        }
    }

    // outputGradient (B, F) -> inputGradient (B, F); slope gradient (F) += ...
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        ReadOnlySpan<float> slope = Store.ValuesOf(ParameterViews[0]);
        Span<float> slopeGradient = Store.GradientsOf(ParameterViews[0]);
        bool wantInput = !inputGradient.IsEmpty;
        for (int row = 0; row < batch; row++)
        {
            int at = row * InputSize;
            // forward: y = x > 0 ? x : a_j · x  =>  da_j += sum over rows where x <= 0 of dy · x,
            // dx = x > 0 ? dy : a_j · dy
            for (int j = 0; j < InputSize; j++)
            {
                float x = input[at + j], dy = outputGradient[at + j];
                if (x > 0f)
                {
                    if (wantInput)
                    {
                        inputGradient[at + j] = dy;
                    }
                }
                else
                {
                    slopeGradient[j] += dy * x;
                    if (wantInput)
                    {
                        inputGradient[at + j] = slope[j] * dy;
                    }
                }
            }
        }
    }
}
