using System.Numerics.Tensors;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// Batch normalization over the channels of NCHW images (PyTorch's BatchNorm2d): each channel's mean and biased
/// variance are taken over every sample and position of the batch, B·H·W values; parameters "weight" (gamma,
/// init 1) and "bias" (beta, init 0) and buffers "running_mean" (init 0) and "running_var" (init 1) have one
/// entry per channel. Running statistics update as in <see cref="BatchNorm"/>, with the unbiased variance over
/// B·H·W values. Statistics are over the rows passed to one forward call: a worker runs each fixed micro-shard
/// as its own call, so results do not depend on the worker count (and the statistics are per micro-shard).
/// </summary>
public sealed class BatchNorm2d : Layer, IImageLayer
{
    private readonly ImageShape _shape;
    private readonly float _momentum;
    private readonly float _epsilon;
    // (B, C, H, W): the normalized input of the last pass.
    private readonly BatchScratch _normalized;
    // (C) each: statistics of the last pass and per-channel sums of the backward pass.
    private readonly float[] _mean, _inverseStd, _sumGradient, _sumGradientNormalized;
    private bool _batchStatistics;

    /// <param name="name">Layer name; tensors are "&lt;name&gt;.weight", ".bias", ".running_mean", ".running_var".</param>
    /// <param name="shape">The image of each input row; output rows have the same shape.</param>
    /// <param name="momentum">Weight of the batch statistic in the running update, in [0, 1]; default 0.1.</param>
    /// <param name="epsilon">Added to the variance before the square root, &gt; 0; default 1e-5.</param>
    public BatchNorm2d(string name, ImageShape shape, float momentum = 0.1f, float epsilon = 1e-5f)
        : base(name, shape.Size)
    {
        shape.Validate(name);
        BatchNormArguments.Check(name, momentum, epsilon);
        _shape = shape;
        _momentum = momentum;
        _epsilon = epsilon;
        _normalized = new BatchScratch(shape.Size);
        _mean = new float[shape.Channels];
        _inverseStd = new float[shape.Channels];
        _sumGradient = new float[shape.Channels];
        _sumGradientNormalized = new float[shape.Channels];
    }

    /// <inheritdoc/>
    public ImageShape OutputShape => _shape;

    /// <summary>Weight of the batch statistic in the running update.</summary>
    public float Momentum => _momentum;

    /// <summary>Added to the variance before the square root.</summary>
    public float Epsilon => _epsilon;

    public override int OutputSize => InputSize;

    public override IReadOnlyList<ParameterDeclaration> DeclareParameters() =>
    [
        new("weight", [_shape.Channels], ParameterRole.Scale),
        new("bias", [_shape.Channels], ParameterRole.Bias),
    ];

    public override IReadOnlyList<ParameterDeclaration> DeclareBuffers() =>
    [
        new("running_mean", [_shape.Channels], ParameterRole.Bias),
        new("running_var", [_shape.Channels], ParameterRole.Scale),
    ];

    public override void Initialize(Random random)
    {
        Store.ValuesOf(ParameterViews[0]).Fill(1f);
        Store.ValuesOf(ParameterViews[1]).Clear();
        Store.BufferOf(BufferViews[0]).Clear();
        Store.BufferOf(BufferViews[1]).Fill(1f);
    }

    public override void Reserve(int maxBatch) => _normalized.Reserve(maxBatch);

    // input (B, C, H, W), weight (C), bias (C) -> output (B, C, H, W); in training running_mean (C), running_var (C) updated
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        int channels = _shape.Channels, plane = _shape.PlaneSize;
        Span<float> normalized = _normalized.Rows(batch);
        Span<float> runningMean = Store.BufferOf(BufferViews[0]);
        Span<float> runningVar = Store.BufferOf(BufferViews[1]);
        _batchStatistics = context.Training;
        if (_batchStatistics)
        {
            long count = (long)batch * plane;
            if (count < 2)
            {
                throw new ArgumentException(
                    $"Batch norm '{Name}' needs at least 2 values per channel in training to estimate a variance, got {count}.",
                    nameof(batch));
            }
            for (int c = 0; c < channels; c++)
            {
                // mean = Σ x / (B·H·W); centred values go to the scratch; var = Σ (x - mean)² / (B·H·W) (biased)
                float sum = 0;
                for (int b = 0; b < batch; b++)
                {
                    sum += TensorPrimitives.Sum(input.Slice((b * InputSize) + (c * plane), plane));
                }
                float mean = sum / count, squares = 0;
                for (int b = 0; b < batch; b++)
                {
                    Span<float> centred = normalized.Slice((b * InputSize) + (c * plane), plane);
                    TensorPrimitives.Subtract(input.Slice((b * InputSize) + (c * plane), plane), mean, centred);
                    squares += TensorPrimitives.SumOfSquares(centred);
                }
                float variance = squares / count;
                // PyTorch: running_var uses the unbiased variance var · n / (n - 1).
                runningMean[c] = ((1f - _momentum) * runningMean[c]) + (_momentum * mean);
                runningVar[c] = ((1f - _momentum) * runningVar[c]) + (_momentum * variance * count / (count - 1));
                _mean[c] = mean;
                _inverseStd[c] = 1f / MathF.Sqrt(variance + _epsilon);
            }
        }
        else
        {
            for (int c = 0; c < channels; c++)
            {
                _mean[c] = runningMean[c];
                _inverseStd[c] = 1f / MathF.Sqrt(runningVar[c] + _epsilon);
                for (int b = 0; b < batch; b++)
                {
                    TensorPrimitives.Subtract(input.Slice((b * InputSize) + (c * plane), plane), _mean[c],
                        normalized.Slice((b * InputSize) + (c * plane), plane));
                }
            }
        }
        ReadOnlySpan<float> gamma = Store.ValuesOf(ParameterViews[0]);
        ReadOnlySpan<float> beta = Store.ValuesOf(ParameterViews[1]);
        for (int b = 0; b < batch; b++)
        {
            for (int c = 0; c < channels; c++)
            {
                Span<float> xHat = normalized.Slice((b * InputSize) + (c * plane), plane);
                // forward: x̂ = (x - mean) / sqrt(var + eps); y = gamma ⊙ x̂ + beta, per channel
                TensorPrimitives.Multiply(xHat, _inverseStd[c], xHat);
                Span<float> y = output.Slice((b * InputSize) + (c * plane), plane);
                TensorPrimitives.Multiply(xHat, gamma[c], y);
                TensorPrimitives.Add(y, beta[c], y);
            }
        }
    }

    // outputGradient (B, C, H, W) -> inputGradient (B, C, H, W); weight gradient (C) += ..., bias gradient (C) += ...
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        int channels = _shape.Channels, plane = _shape.PlaneSize;
        ReadOnlySpan<float> normalized = _normalized.Rows(batch);
        Span<float> gammaGradient = Store.GradientsOf(ParameterViews[0]);
        Span<float> betaGradient = Store.GradientsOf(ParameterViews[1]);
        // forward: y = gamma ⊙ x̂ + beta  =>  dgamma += Σ dy ⊙ x̂, dbeta += Σ dy, over samples and positions
        for (int c = 0; c < channels; c++)
        {
            float sum = 0, sumNormalized = 0;
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> dy = outputGradient.Slice((b * InputSize) + (c * plane), plane);
                sum += TensorPrimitives.Sum(dy);
                sumNormalized += TensorPrimitives.Dot(dy, normalized.Slice((b * InputSize) + (c * plane), plane));
            }
            _sumGradient[c] = sum;
            _sumGradientNormalized[c] = sumNormalized;
            gammaGradient[c] += sumNormalized;
            betaGradient[c] += sum;
        }
        if (inputGradient.IsEmpty)
        {
            return;
        }
        ReadOnlySpan<float> gamma = Store.ValuesOf(ParameterViews[0]);
        float count = (float)batch * plane;
        for (int c = 0; c < channels; c++)
        {
            float scale = gamma[c] * _inverseStd[c];
            float meanGradient = _sumGradient[c] / count, meanGradientNormalized = _sumGradientNormalized[c] / count;
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<float> dy = outputGradient.Slice((b * InputSize) + (c * plane), plane);
                Span<float> dx = inputGradient.Slice((b * InputSize) + (c * plane), plane);
                if (!_batchStatistics)
                {
                    // forward: y = gamma (x - running_mean) / sqrt(running_var + eps) + beta  =>  dx = dy · scale
                    TensorPrimitives.Multiply(dy, scale, dx);
                    continue;
                }
                // forward: x̂ = (x - mean) / sqrt(var + eps) with batch mean and biased var  =>
                // dx = gamma / sqrt(var + eps) · (dy - Σ dy / n - x̂ · Σ (dy ⊙ x̂) / n), n = B·H·W
                TensorPrimitives.Subtract(dy, meanGradient, dx);
                TensorPrimitives.MultiplyAdd(normalized.Slice((b * InputSize) + (c * plane), plane), -meanGradientNormalized, dx, dx);
                TensorPrimitives.Multiply(dx, scale, dx);
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        _normalized.Dispose();
        base.Dispose(disposing);
    }
}
