using System.Numerics.Tensors;
using DistributedTrainer.Numerics.Initializers;
using DistributedTrainer.Numerics.Kernels;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// Highway block (Srivastava et al. 2015) y = T ⊙ H(x) + (1 - T) ⊙ x with the transform gate
/// T = sigmoid(x W_T^T + b_T); the body H must keep the feature count. Parameters "gate.weight" (F, F) and
/// "gate.bias" (F); a negative gate bias starts the block close to the identity.
/// </summary>
public sealed class Highway : Layer
{
    private readonly Sequential _body;
    private readonly Initializer _gateWeightInitializer;
    private readonly float _gateBias;
    // (B, F) each: H(x), T, and a gradient scratch (dL/dH, then dL/d(gate pre-activation)).
    private readonly BatchScratch _bodyOutput;
    private readonly BatchScratch _gate;
    private readonly BatchScratch _gradient;

    /// <param name="name">Layer name; prefixes the gate's and the body's names ("hw1.gate.weight", "hw1.fc").</param>
    /// <param name="body">H; its output size must equal its input size.</param>
    /// <param name="gateWeightInitializer">Fills W_T with fanIn = fanOut = features.</param>
    /// <param name="gateBias">Initial value of every b_T; default -1 (gate mostly closed, y ≈ x).</param>
    public Highway(string name, Sequential body, Initializer gateWeightInitializer, float gateBias = -1f)
        : base(name, body.InputSize)
    {
        if (body.OutputSize != body.InputSize)
        {
            throw new ArgumentException(
                $"Highway '{name}': the body takes {body.InputSize} features but gives {body.OutputSize}; " +
                "the gate mixes H(x) with x, so they must be equal.", nameof(body));
        }
        if (!float.IsFinite(gateBias))
        {
            throw new ArgumentException($"Invalid gate bias for highway '{name}': {gateBias} (must be finite).",
                nameof(gateBias));
        }
        ArgumentNullException.ThrowIfNull(gateWeightInitializer);
        _body = body;
        _gateWeightInitializer = gateWeightInitializer;
        _gateBias = gateBias;
        _bodyOutput = new BatchScratch(InputSize);
        _gate = new BatchScratch(InputSize);
        _gradient = new BatchScratch(InputSize);
    }

    public override int OutputSize => InputSize;

    public override IReadOnlyList<Layer> Children => [_body];

    public override IReadOnlyList<ParameterDeclaration> DeclareParameters() =>
    [
        new("gate.weight", [InputSize, InputSize], ParameterRole.Weight),
        new("gate.bias", [InputSize], ParameterRole.Bias),
    ];

    public override void Initialize(Random random)
    {
        _gateWeightInitializer.Fill(Store.ValuesOf(ParameterViews[0]), InputSize, InputSize, random);
        Store.ValuesOf(ParameterViews[1]).Fill(_gateBias);
    }

    public override void Reserve(int maxBatch)
    {
        _bodyOutput.Reserve(maxBatch);
        _gate.Reserve(maxBatch);
        _gradient.Reserve(maxBatch);
        _body.Reserve(maxBatch);
    }

    // input (B, F), gate weight (F, F), gate bias (F) -> output (B, F)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        int features = InputSize, length = batch * features;
        Span<float> h = _bodyOutput.Rows(batch);
        Span<float> gate = _gate.Rows(batch);
        _body.Forward(context, input, h, batch);
        ReadOnlySpan<float> bias = Store.ValuesOf(ParameterViews[1]);
        // forward: T = sigmoid(x W_T^T + b_T)
        Gemm.Multiply(gate, input, Store.ValuesOf(ParameterViews[0]), batch, features, features, transposeB: true);
        for (int row = 0; row < batch; row++)
        {
            Span<float> gateRow = gate.Slice(row * features, features);
            TensorPrimitives.Add(gateRow, bias, gateRow);
        }
        TensorPrimitives.Sigmoid(gate, gate);
        // forward: y = T ⊙ H + (1 - T) ⊙ x = x + T ⊙ (H - x)
        Span<float> y = output[..length];
        TensorPrimitives.Subtract(h, input[..length], y);
        TensorPrimitives.MultiplyAdd(y, gate, input[..length], y);
    }

    // outputGradient (B, F) -> inputGradient (B, F); gate weight gradient (F, F) += ..., gate bias gradient (F) += ...
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        int features = InputSize, length = batch * features;
        ReadOnlySpan<float> x = input[..length];
        ReadOnlySpan<float> dy = outputGradient[..length];
        ReadOnlySpan<float> h = _bodyOutput.Rows(batch);
        ReadOnlySpan<float> gate = _gate.Rows(batch);
        Span<float> scratch = _gradient.Rows(batch);

        // forward: y = T ⊙ H + (1 - T) ⊙ x  =>  dH = dy ⊙ T; the body adds its dx into inputGradient below
        TensorPrimitives.Multiply(dy, gate, scratch);
        _body.Backward(context, input, h, scratch, inputGradient, batch);

        // forward: y = x + T ⊙ (H - x), T = sigmoid(z)  =>  dz = dy ⊙ (H - x) ⊙ T ⊙ (1 - T)
        Span<float> dz = scratch;
        TensorPrimitives.Subtract(h, x, dz);
        TensorPrimitives.Multiply(dz, dy, dz);
        TensorPrimitives.Multiply(dz, gate, dz);
        for (int i = 0; i < length; i++)
        {
            dz[i] -= dz[i] * gate[i];
        }
        // forward: z = x W_T^T + b_T  =>  dW_T += dz^T x, db_T += Σ_r dz
        Span<float> biasGradient = Store.GradientsOf(ParameterViews[1]);
        Gemm.Multiply(Store.GradientsOf(ParameterViews[0]), dz, x, features, features, batch, transposeA: true,
            accumulate: true);
        for (int row = 0; row < batch; row++)
        {
            TensorPrimitives.Add(biasGradient, dz.Slice(row * features, features), biasGradient);
        }
        if (inputGradient.IsEmpty)
        {
            return;
        }
        // dx = (body's dx) + dz W_T + dy ⊙ (1 - T)
        Span<float> dx = inputGradient[..length];
        Gemm.Multiply(dx, dz, Store.ValuesOf(ParameterViews[0]), batch, features, features, accumulate: true);
        TensorPrimitives.Add(dx, dy, dx);
        for (int i = 0; i < length; i++)
        {
            dx[i] -= dy[i] * gate[i];
        }
    }

    protected override void Dispose(bool disposing)
    {
        _bodyOutput.Dispose();
        _gate.Dispose();
        _gradient.Dispose();
        _body.Dispose();
        base.Dispose(disposing);
    }
}
