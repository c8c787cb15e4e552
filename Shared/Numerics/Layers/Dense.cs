using System.Numerics.Tensors;
using DistributedTrainer.Numerics.Initializers;
using DistributedTrainer.Numerics.Kernels;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// Fully connected layer y = x W^T + b with parameters "weight" (units, inputSize) and "bias" (units), and
/// optional DropConnect: in training each weight is dropped with probability p and the kept ones scale by
/// 1/(1-p). The mask is drawn once per step from the counter RNG keyed by (seed, step, sample = -1, layer) and
/// shared by every row, so the result does not depend on how the batch is split across workers.
/// </summary>
public sealed class Dense : Layer
{
    private readonly Initializer _weightInitializer;
    private readonly Initializer _biasInitializer;
    private readonly float _dropConnect;
    // All (units, inputSize), allocated only with DropConnect: the per-weight factor (0 or 1/(1-p)), the masked
    // weights of the current pass and the gradient with respect to them.
    private readonly AlignedBuffer? _maskScale;
    private readonly AlignedBuffer? _maskedWeight;
    private readonly AlignedBuffer? _maskedGradient;
    private bool _maskedThisPass;
    // The key of the mask in _maskScale; every micro-batch of a step reuses it instead of redrawing.
    private (ulong Seed, long Step, int Layer)? _maskKey;

    /// <param name="name">Layer name; parameters are "&lt;name&gt;.weight" and "&lt;name&gt;.bias".</param>
    /// <param name="inputSize">Features in.</param>
    /// <param name="units">Features out.</param>
    /// <param name="weightInitializer">Fills the weight with fanIn = inputSize, fanOut = units.</param>
    /// <param name="biasInitializer">Fills the bias with fanIn = fanOut = units.</param>
    /// <param name="dropConnect">Probability of dropping each weight in training, in [0, 1); default 0 (off).</param>
    public Dense(string name, int inputSize, int units, Initializer weightInitializer, Initializer biasInitializer,
        float dropConnect = 0)
        : base(name, inputSize)
    {
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
        OutputSize = units;
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

    public override IReadOnlyList<ParameterDeclaration> DeclareParameters() =>
    [
        new("weight", [OutputSize, InputSize], ParameterRole.Weight),
        new("bias", [OutputSize], ParameterRole.Bias),
    ];

    public override void Initialize(Random random)
    {
        _weightInitializer.Fill(Store.ValuesOf(ParameterViews[0]), InputSize, OutputSize, random);
        _biasInitializer.Fill(Store.ValuesOf(ParameterViews[1]), OutputSize, OutputSize, random);
    }

    // input (B, I), weight (O, I), bias (O) -> output (B, O)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
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
        Gemm.Multiply(output, input, weight, batch, OutputSize, InputSize, transposeB: true);
        for (int row = 0; row < batch; row++)
        {
            Span<float> outputRow = output.Slice(row * OutputSize, OutputSize);
            TensorPrimitives.Add(outputRow, bias, outputRow);
        }
    }

    // outputGradient (B, O) -> inputGradient (B, I); weight gradient (O, I) += ..., bias gradient (O) += ...
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        Span<float> weightGradient = Store.GradientsOf(ParameterViews[0]);
        Span<float> biasGradient = Store.GradientsOf(ParameterViews[1]);
        ReadOnlySpan<float> weight = _maskedThisPass ? _maskedWeight!.Span : Store.ValuesOf(ParameterViews[0]);
        if (_maskedThisPass)
        {
            // forward: y = x W~^T + b, W~ = W ⊙ mask / (1-p)  =>  dW += (dY^T x) ⊙ mask / (1-p), dX = dY W~
            Span<float> maskedGradient = _maskedGradient!.Span;
            Gemm.Multiply(maskedGradient, outputGradient, input, OutputSize, InputSize, batch, transposeA: true);
            TensorPrimitives.MultiplyAdd(maskedGradient, _maskScale!.Span, weightGradient, weightGradient);
        }
        else
        {
            // forward: y = x W^T + b  =>  dW += dY^T x
            Gemm.Multiply(weightGradient, outputGradient, input, OutputSize, InputSize, batch, transposeA: true,
                accumulate: true);
        }
        // forward: y = x W^T + b  =>  dX = dY W
        if (!inputGradient.IsEmpty)
        {
            Gemm.Multiply(inputGradient, outputGradient, weight, batch, InputSize, OutputSize);
        }
        // forward: y = ... + b  =>  db += sum over rows of dY
        for (int row = 0; row < batch; row++)
        {
            TensorPrimitives.Add(biasGradient, outputGradient.Slice(row * OutputSize, OutputSize), biasGradient);
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
        base.Dispose(disposing);
    }
}
