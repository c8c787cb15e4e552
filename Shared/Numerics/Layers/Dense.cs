using System.Numerics.Tensors;
using DistributedTrainer.Numerics.Initializers;
using DistributedTrainer.Numerics.Kernels;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// Fully connected layer y = x W^T + b with parameters "weight" (units, inputSize) and "bias" (units), and
/// optional DropConnect: in training each weight is dropped with probability p and the kept ones scale by
/// 1/(1-p). The mask is drawn once per step from the counter RNG keyed by (seed, step, sample = -1, layer) and
/// shared by every row, so the result does not depend on how the batch is split across workers.
/// With <c>steps</c> &gt; 1 the layer is applied to every time step of a sequence row (PyTorch's Linear on a
/// (batch, time, features) tensor): input (B, T x inputSize) is read as (B x T, inputSize), output (B, T x units).
/// </summary>
public sealed class Dense : Layer
{
    private readonly Initializer _weightInitializer;
    private readonly Initializer _biasInitializer;
    private readonly float _dropConnect;
    // Time steps per row, and features in and out of one step.
    private readonly int _steps;
    private readonly int _stepInput;
    private readonly int _units;
    // All (units, inputSize), allocated only with DropConnect: the per-weight factor (0 or 1/(1-p)), the masked
    // weights of the current pass and the gradient with respect to them.
    private readonly AlignedBuffer? _maskScale;
    private readonly AlignedBuffer? _maskedWeight;
    private readonly AlignedBuffer? _maskedGradient;
    private bool _maskedThisPass;
    // The key of the mask in _maskScale; every micro-batch of a step reuses it instead of redrawing.
    private (ulong Seed, long Step, int Layer)? _maskKey;
    // The weight packed for the forward GEMM, kept while StepContext.ParameterVersion says the parameters are the same
    // (the micro-shards of a step): packing the transposed weight for every 32-row shard was 8 % of its compute.
    private readonly GemmPackedB _packedWeight = new();
    private long _packedVersion;

    /// <param name="name">Layer name; parameters are "&lt;name&gt;.weight" and "&lt;name&gt;.bias".</param>
    /// <param name="inputSize">Features in (per step).</param>
    /// <param name="units">Features out (per step).</param>
    /// <param name="weightInitializer">Fills the weight with fanIn = inputSize, fanOut = units.</param>
    /// <param name="biasInitializer">Fills the bias with fanIn = fanOut = units.</param>
    /// <param name="dropConnect">Probability of dropping each weight in training, in [0, 1); default 0 (off).</param>
    /// <param name="steps">Time steps per row sharing the weights; default 1 (the row is one vector).</param>
    public Dense(string name, int inputSize, int units, Initializer weightInitializer, Initializer biasInitializer,
        float dropConnect = 0, int steps = 1)
        : base(name, checked(Math.Max(1, steps) * inputSize))
    {
        if (steps < 1)
        {
            throw new ArgumentException($"Invalid steps for dense layer '{name}': {steps} (must be at least 1).", nameof(steps));
        }
        if (units < 1)
        {
            throw new ArgumentException($"Invalid units for dense layer '{name}': {units} (must be at least 1).", nameof(units));
        }
        if (!(dropConnect >= 0 && dropConnect < 1))
        {
            throw new ArgumentException($"Invalid dropConnect for dense layer '{name}': {dropConnect} (must be in [0, 1)).",
                nameof(dropConnect));
        }
        ArgumentNullException.ThrowIfNull(weightInitializer);
        ArgumentNullException.ThrowIfNull(biasInitializer);
        _steps = steps;
        _stepInput = inputSize;
        _units = units;
        OutputSize = checked(steps * units);
        _weightInitializer = weightInitializer;
        _biasInitializer = biasInitializer;
        _dropConnect = dropConnect;
        if (dropConnect > 0)
        {
            _maskScale = new AlignedBuffer(checked(units * inputSize));
            _maskedWeight = new AlignedBuffer(_maskScale.Length);
            _maskedGradient = new AlignedBuffer(_maskScale.Length);
        }
    }

    public override int OutputSize { get; }

    /// <summary>Probability of dropping each weight in training.</summary>
    public float DropConnect => _dropConnect;

    /// <summary>Time steps per row sharing the weights (1: the row is one vector).</summary>
    public int Steps => _steps;

    public override IReadOnlyList<ParameterDeclaration> DeclareParameters() =>
    [
        new("weight", [_units, _stepInput], ParameterRole.Weight),
        new("bias", [_units], ParameterRole.Bias),
    ];

    public override void Initialize(Random random)
    {
        _weightInitializer.Fill(Store.ValuesOf(ParameterViews[0]), _stepInput, _units, random);
        _biasInitializer.Fill(Store.ValuesOf(ParameterViews[1]), _units, _units, random);
    }

    // input (B, T, I), weight (O, I), bias (O) -> output (B, T, O); T = 1 unless steps were given
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        batch *= _steps;
        ReadOnlySpan<float> weight = Store.ValuesOf(ParameterViews[0]);
        ReadOnlySpan<float> bias = Store.ValuesOf(ParameterViews[1]);
        _maskedThisPass = context.Training && _dropConnect > 0;
        if (_maskedThisPass)
        {
            DrawMask(context);
            // forward: W~ = W ⊙ mask / (1-p)
            TensorPrimitives.Multiply(weight, _maskScale!.Span, _maskedWeight!.Span);
            weight = _maskedWeight.Span;
        }
        // forward: y = x W^T + b
        if (context.ParameterVersion != 0 && !_maskedThisPass)
        {
            if (_packedVersion != context.ParameterVersion)
            {
                _packedWeight.Pack(weight, _units, _stepInput, transposeB: true);
                _packedVersion = context.ParameterVersion;
            }
            Gemm.Multiply(output, input, _packedWeight, batch);
        }
        else
        {
            Gemm.Multiply(output, input, weight, batch, _units, _stepInput, transposeB: true);
        }
        for (int row = 0; row < batch; row++)
        {
            Span<float> outputRow = output.Slice(row * _units, _units);
            TensorPrimitives.Add(outputRow, bias, outputRow);
        }
    }

    // outputGradient (B, T, O) -> inputGradient (B, T, I); weight gradient (O, I) += ..., bias gradient (O) += ...
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        batch *= _steps;
        Span<float> weightGradient = Store.GradientsOf(ParameterViews[0]);
        Span<float> biasGradient = Store.GradientsOf(ParameterViews[1]);
        ReadOnlySpan<float> weight = _maskedThisPass ? _maskedWeight!.Span : Store.ValuesOf(ParameterViews[0]);
        if (_maskedThisPass)
        {
            // forward: y = x W~^T + b, W~ = W ⊙ mask / (1-p)  =>  dW += (dY^T x) ⊙ mask / (1-p), dX = dY W~
            Span<float> maskedGradient = _maskedGradient!.Span;
            Gemm.Multiply(maskedGradient, outputGradient, input, _units, _stepInput, batch, transposeA: true);
            TensorPrimitives.MultiplyAdd(maskedGradient, _maskScale!.Span, weightGradient, weightGradient);
        }
        else
        {
            // forward: y = x W^T + b  =>  dW += dY^T x
            Gemm.Multiply(weightGradient, outputGradient, input, _units, _stepInput, batch, transposeA: true,
                accumulate: true);
        }
        // forward: y = x W^T + b  =>  dX = dY W
        if (!inputGradient.IsEmpty)
        {
            Gemm.Multiply(inputGradient, outputGradient, weight, batch, _stepInput, _units);
        }
        // forward: y = ... + b  =>  db += sum over rows of dY
        for (int row = 0; row < batch; row++)
        {
            TensorPrimitives.Add(biasGradient, outputGradient.Slice(row * _units, _units), biasGradient);
        }
    }

    /// <summary>mask scale (O, I) &lt;- 1/(1-p) where the step's uniform draw is at least p, else 0.</summary>
    private void DrawMask(StepContext context)
    {
        if (_maskKey == (context.Seed, context.Step, Index))
        {
            return;
        }
        Span<float> scale = _maskScale!.Span;
        CounterRng.FillUniform(scale, context.Seed, context.Step, sample: -1, layer: Index);
        float keep = 1f / (1f - _dropConnect);
        for (int i = 0; i < scale.Length; i++)
        {
            scale[i] = scale[i] >= _dropConnect ? keep : 0f;
        }
        _maskKey = (context.Seed, context.Step, Index);
    }

    protected override void Dispose(bool disposing)
    {
        _maskScale?.Dispose();
        _maskedWeight?.Dispose();
        _maskedGradient?.Dispose();
        _packedWeight.Dispose();
        base.Dispose(disposing);
    }
}
