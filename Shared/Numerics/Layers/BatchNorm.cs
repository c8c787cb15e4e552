using System.Numerics.Tensors;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// Batch normalization over the rows of a batch (Ioffe and Szegedy 2015), PyTorch's BatchNorm1d: parameters
/// "weight" (gamma, init 1) and "bias" (beta, init 0), buffers "running_mean" (init 0) and "running_var"
/// (init 1). Training normalizes with the batch mean and biased variance and updates
/// running = (1 - momentum) · running + momentum · batch statistic, with the unbiased variance; evaluation
/// normalizes with the running statistics. Statistics are over the rows passed to one forward call, so a
/// worker must run each fixed micro-shard as its own call for results not to depend on the worker count.
/// </summary>
public sealed class BatchNorm : Layer
{
    private readonly float _momentum;
    private readonly float _epsilon;
    // (B, F): the normalized input of the last pass.
    private readonly BatchScratch _normalized;
    // (F) each: statistics of the last pass and per-feature sums of the backward pass.
    private readonly float[] _mean, _inverseStd, _scale, _sumGradient, _sumGradientNormalized;
    private bool _batchStatistics;

    /// <param name="name">Layer name; tensors are "&lt;name&gt;.weight", ".bias", ".running_mean", ".running_var".</param>
    /// <param name="features">Features in and out.</param>
    /// <param name="momentum">Weight of the batch statistic in the running update, in [0, 1]; default 0.1.</param>
    /// <param name="epsilon">Added to the variance before the square root, &gt; 0; default 1e-5.</param>
    public BatchNorm(string name, int features, float momentum = 0.1f, float epsilon = 1e-5f)
        : base(name, features)
    {
        BatchNormArguments.Check(name, momentum, epsilon);
        _momentum = momentum;
        _epsilon = epsilon;
        _normalized = new BatchScratch(features);
        _mean = new float[features];
        _inverseStd = new float[features];
        _scale = new float[features];
        _sumGradient = new float[features];
        _sumGradientNormalized = new float[features];
    }

    public override int OutputSize => InputSize;

    /// <summary>Weight of the batch statistic in the running update, in [0, 1].</summary>
    public float Momentum => _momentum;

    /// <summary>Added to the variance before the square root.</summary>
    public float Epsilon => _epsilon;

    public override IReadOnlyList<ParameterDeclaration> DeclareParameters() =>
    [
        new("weight", [InputSize], ParameterRole.Scale),
        new("bias", [InputSize], ParameterRole.Bias),
    ];

    public override IReadOnlyList<ParameterDeclaration> DeclareBuffers() =>
    [
        new("running_mean", [InputSize], ParameterRole.Bias),
        new("running_var", [InputSize], ParameterRole.Scale),
    ];

    public override void Initialize(Random random)
    {
        Store.ValuesOf(ParameterViews[0]).Fill(1f);
        Store.ValuesOf(ParameterViews[1]).Clear();
        Store.BufferOf(BufferViews[0]).Clear();
        Store.BufferOf(BufferViews[1]).Fill(1f);
    }

    public override void Reserve(int maxBatch) => _normalized.Reserve(maxBatch);

    // input (B, F), weight (F), bias (F) -> output (B, F); in training running_mean (F), running_var (F) updated
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        int features = InputSize;
        Span<float> normalized = _normalized.Rows(batch);
        Span<float> runningMean = Store.BufferOf(BufferViews[0]);
        Span<float> runningVar = Store.BufferOf(BufferViews[1]);
        _batchStatistics = context.Training;
        if (_batchStatistics)
        {
            if (batch < 2)
            {
                throw new ArgumentException(
                    $"Batch norm '{Name}' needs at least 2 rows in training to estimate a variance, got {batch}.",
                    nameof(batch));
            }
            // mean = Σ_r x_r / B; centred rows go to the scratch; var = Σ_r (x_r - mean)² / B (biased)
            _mean.AsSpan().Clear();
            for (int row = 0; row < batch; row++)
            {
                TensorPrimitives.Add(input.Slice(row * features, features), _mean, _mean);
            }
            TensorPrimitives.Multiply(_mean, 1f / batch, _mean);
            Span<float> variance = _inverseStd;
            variance.Clear();
            for (int row = 0; row < batch; row++)
            {
                Span<float> centred = normalized.Slice(row * features, features);
                TensorPrimitives.Subtract(input.Slice(row * features, features), _mean, centred);
                TensorPrimitives.MultiplyAdd(centred, centred, variance, variance);
            }
            TensorPrimitives.Multiply(variance, 1f / batch, variance);
            // PyTorch: running_var uses the unbiased variance var · B / (B - 1).
            for (int j = 0; j < features; j++)
            {
                runningMean[j] = (1f - _momentum) * runningMean[j] + _momentum * _mean[j];
                runningVar[j] = (1f - _momentum) * runningVar[j] + _momentum * variance[j] * batch / (batch - 1);
            }
            // inverse std = 1 / sqrt(var + eps), in place over the variance
            InverseStd(variance, _epsilon, _inverseStd);
        }
        else
        {
            runningMean.CopyTo(_mean);
            InverseStd(runningVar, _epsilon, _inverseStd);
            for (int row = 0; row < batch; row++)
            {
                TensorPrimitives.Subtract(input.Slice(row * features, features), _mean,
                    normalized.Slice(row * features, features));
            }
        }
        ReadOnlySpan<float> gamma = Store.ValuesOf(ParameterViews[0]);
        ReadOnlySpan<float> beta = Store.ValuesOf(ParameterViews[1]);
        for (int row = 0; row < batch; row++)
        {
            Span<float> xHat = normalized.Slice(row * features, features);
            // forward: x̂ = (x - mean) / sqrt(var + eps); y = gamma ⊙ x̂ + beta
            TensorPrimitives.Multiply(xHat, _inverseStd, xHat);
            TensorPrimitives.MultiplyAdd(xHat, gamma, beta, output.Slice(row * features, features));
        }
    }

    // outputGradient (B, F) -> inputGradient (B, F); weight gradient (F) += ..., bias gradient (F) += ...
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        int features = InputSize;
        ReadOnlySpan<float> normalized = _normalized.Rows(batch);
        // forward: y = gamma ⊙ x̂ + beta  =>  dgamma += Σ_r dy ⊙ x̂, dbeta += Σ_r dy
        _sumGradient.AsSpan().Clear();
        _sumGradientNormalized.AsSpan().Clear();
        for (int row = 0; row < batch; row++)
        {
            ReadOnlySpan<float> dy = outputGradient.Slice(row * features, features);
            TensorPrimitives.Add(dy, _sumGradient, _sumGradient);
            TensorPrimitives.MultiplyAdd(dy, normalized.Slice(row * features, features), _sumGradientNormalized,
                _sumGradientNormalized);
        }
        Span<float> gammaGradient = Store.GradientsOf(ParameterViews[0]);
        Span<float> betaGradient = Store.GradientsOf(ParameterViews[1]);
        TensorPrimitives.Add(gammaGradient, _sumGradientNormalized, gammaGradient);
        TensorPrimitives.Add(betaGradient, _sumGradient, betaGradient);
        if (inputGradient.IsEmpty)
        {
            return;
        }
        ReadOnlySpan<float> gamma = Store.ValuesOf(ParameterViews[0]);
        // scale (F) = gamma / sqrt(var + eps)
        Span<float> scale = _scale;
        TensorPrimitives.Multiply(gamma, _inverseStd, scale);
        if (!_batchStatistics)
        {
            // forward: y = gamma ⊙ (x - running_mean) / sqrt(running_var + eps) + beta  =>  dx = dy ⊙ scale
            for (int row = 0; row < batch; row++)
            {
                TensorPrimitives.Multiply(outputGradient.Slice(row * features, features), scale,
                    inputGradient.Slice(row * features, features));
            }
            return;
        }
        // forward: x̂ = (x - mean) / sqrt(var + eps) with batch mean and biased var  =>
        // dx = gamma / sqrt(var + eps) ⊙ (dy - Σ_r dy / B - x̂ ⊙ Σ_r (dy ⊙ x̂) / B)
        TensorPrimitives.Multiply(_sumGradient, 1f / batch, _sumGradient);
        TensorPrimitives.Multiply(_sumGradientNormalized, -1f / batch, _sumGradientNormalized);
        for (int row = 0; row < batch; row++)
        {
            Span<float> dx = inputGradient.Slice(row * features, features);
            TensorPrimitives.Subtract(outputGradient.Slice(row * features, features), _sumGradient, dx);
            TensorPrimitives.MultiplyAdd(normalized.Slice(row * features, features), _sumGradientNormalized, dx, dx);
            TensorPrimitives.Multiply(dx, scale, dx);
        }
    }

    /// <summary>destination (F) &lt;- 1 / sqrt(variance (F) + epsilon); may alias.</summary>
    private static void InverseStd(ReadOnlySpan<float> variance, float epsilon, Span<float> destination)
    {
        TensorPrimitives.Add(variance, epsilon, destination);
        TensorPrimitives.ReciprocalSqrt(destination, destination);
    }

    protected override void Dispose(bool disposing)
    {
        _normalized.Dispose();
        base.Dispose(disposing);
    }
}
