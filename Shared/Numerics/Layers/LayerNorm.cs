using System.Numerics.Tensors;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// Layer normalization (Ba et al. 2016): each row is normalized by its own mean and biased variance, then
/// scaled and shifted per feature by "weight" (init 1) and "bias" (init 0). Same in training and evaluation.
/// </summary>
public sealed class LayerNorm : Layer
{
    private readonly float _epsilon;
    // (B, F): the normalized input of the last pass; (B): its per-row 1 / sqrt(var + eps).
    private readonly BatchScratch _normalized;
    private readonly BatchScratch _inverseStd;
    // (F): dL/dx̂ of one row in the backward pass.
    private readonly float[] _normalizedGradient;

    /// <param name="name">Layer name; parameters are "&lt;name&gt;.weight" and "&lt;name&gt;.bias".</param>
    /// <param name="features">Features in and out.</param>
    /// <param name="epsilon">Added to the variance before the square root, &gt; 0; default 1e-5.</param>
    public LayerNorm(string name, int features, float epsilon = 1e-5f)
        : base(name, features)
    {
        if (!(epsilon > 0 && float.IsFinite(epsilon)))
        {
            throw new ArgumentException($"Invalid epsilon for layer norm '{name}': {epsilon} (must be positive).",
                nameof(epsilon));
        }
        _epsilon = epsilon;
        _normalized = new BatchScratch(features);
        _inverseStd = new BatchScratch(1);
        _normalizedGradient = new float[features];
    }

    public override int OutputSize => InputSize;

    /// <summary>Added to the variance before the square root.</summary>
    public float Epsilon => _epsilon;

    public override IReadOnlyList<ParameterDeclaration> DeclareParameters() =>
    [
        new("weight", [InputSize], ParameterRole.Scale),
        new("bias", [InputSize], ParameterRole.Bias),
    ];

    public override void Initialize(Random random)
    {
        Store.ValuesOf(ParameterViews[0]).Fill(1f);
        Store.ValuesOf(ParameterViews[1]).Clear();
    }

    public override void Reserve(int maxBatch)
    {
        _normalized.Reserve(maxBatch);
        _inverseStd.Reserve(maxBatch);
    }

    // input (B, F), weight (F), bias (F) -> output (B, F)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        int features = InputSize;
        Span<float> normalized = _normalized.Rows(batch);
        Span<float> inverseStd = _inverseStd.Rows(batch);
        ReadOnlySpan<float> gamma = Store.ValuesOf(ParameterViews[0]);
        ReadOnlySpan<float> beta = Store.ValuesOf(ParameterViews[1]);
        for (int row = 0; row < batch; row++)
        {
            ReadOnlySpan<float> x = input.Slice(row * features, features);
            Span<float> xHat = normalized.Slice(row * features, features);
            // forward: x̂ = (x - mean(x)) / sqrt(var(x) + eps), var biased; y = gamma ⊙ x̂ + beta
            TensorPrimitives.Subtract(x, TensorPrimitives.Sum(x) / features, xHat);
            float variance = TensorPrimitives.Dot(xHat, xHat) / features;
            inverseStd[row] = 1f / MathF.Sqrt(variance + _epsilon);
            TensorPrimitives.Multiply(xHat, inverseStd[row], xHat);
            TensorPrimitives.MultiplyAdd(xHat, gamma, beta, output.Slice(row * features, features));
        }
    }

    // outputGradient (B, F) -> inputGradient (B, F); weight gradient (F) += ..., bias gradient (F) += ...
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        int features = InputSize;
        ReadOnlySpan<float> normalized = _normalized.Rows(batch);
        ReadOnlySpan<float> inverseStd = _inverseStd.Rows(batch);
        ReadOnlySpan<float> gamma = Store.ValuesOf(ParameterViews[0]);
        Span<float> gammaGradient = Store.GradientsOf(ParameterViews[0]);
        Span<float> betaGradient = Store.GradientsOf(ParameterViews[1]);
        Span<float> dxHat = _normalizedGradient;
        for (int row = 0; row < batch; row++)
        {
            ReadOnlySpan<float> dy = outputGradient.Slice(row * features, features);
            ReadOnlySpan<float> xHat = normalized.Slice(row * features, features);
            // forward: y = gamma ⊙ x̂ + beta  =>  dgamma += dy ⊙ x̂, dbeta += dy
            TensorPrimitives.MultiplyAdd(dy, xHat, gammaGradient, gammaGradient);
            TensorPrimitives.Add(betaGradient, dy, betaGradient);
            if (inputGradient.IsEmpty)
            {
                continue;
            }
            // forward: x̂ = (x - mean) / sqrt(var + eps)  =>
            // dx = (dx̂ - mean(dx̂) - x̂ ⊙ mean(dx̂ ⊙ x̂)) / sqrt(var + eps), dx̂ = dy ⊙ gamma
            TensorPrimitives.Multiply(dy, gamma, dxHat);
            float meanGradient = TensorPrimitives.Sum(dxHat) / features;
            float meanGradientNormalized = TensorPrimitives.Dot(dxHat, xHat) / features;
            Span<float> dx = inputGradient.Slice(row * features, features);
            TensorPrimitives.Subtract(dxHat, meanGradient, dx);
            TensorPrimitives.MultiplyAdd(xHat, -meanGradientNormalized, dx, dx);
            TensorPrimitives.Multiply(dx, inverseStd[row], dx);
        }
    }

    protected override void Dispose(bool disposing)
    {
        _normalized.Dispose();
        _inverseStd.Dispose();
        base.Dispose(disposing);
    }
}
