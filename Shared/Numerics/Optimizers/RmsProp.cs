using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DistributedTrainer.Numerics.Optimizers;

/// <summary>
/// RMSProp as torch.optim.RMSprop (not centered): <c>v = ρ·v + (1-ρ)·g²</c>, <c>a = √v + eps</c>, then
/// <c>p -= lr·g/a</c>, or with momentum <c>buf = μ·buf + g/a</c>, <c>p -= lr·buf</c>. Weight decay is
/// decoupled (<c>p -= lr·wd·p</c> first) instead of torch's L2 term.
/// State: "square_avg", and "momentum_buffer" when momentum &gt; 0.
/// </summary>
public sealed class RmsProp : Optimizer
{
    private const string SquareAverage = "square_avg";
    private const string MomentumBuffer = "momentum_buffer";

    /// <param name="parameterCount">Length of the flat parameter vector.</param>
    /// <param name="options">Hyperparameters; throws <see cref="ArgumentException"/> when one is out of range.</param>
    public RmsProp(int parameterCount, RmsPropOptions options)
        : base(parameterCount, StateNames(options))
    {
        Options = options;
    }

    /// <summary>The hyperparameters.</summary>
    public RmsPropOptions Options { get; }

    /// <inheritdoc/>
    public override float WeightDecay => Options.WeightDecay;

    private static string[] StateNames(RmsPropOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.Momentum > 0f ? [SquareAverage, MomentumBuffer] : [SquareAverage];
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, int offset, float learningRate, float weightDecay)
    {
        var squares = StateOf(SquareAverage, offset, parameters.Length);
        float keep = DecoupledWeightDecay.Factor(learningRate, weightDecay);
        // torch forms 1 - alpha in double and rounds it to float when the kernel reads the scalar.
        float rest = (float)(1.0 - Options.Rho);
        if (Options.Momentum == 0f)
        {
            Plain(parameters, squares, gradients, keep, -learningRate, Options.Rho, rest, Options.Epsilon);
        }
        else
        {
            WithMomentum(parameters, squares, StateOf(MomentumBuffer, offset, parameters.Length), gradients,
                keep, -learningRate, Options.Rho, rest, Options.Epsilon, Options.Momentum);
        }
    }

    // parameters (N), squares (N), gradients (N) -> parameters (N), squares (N)
    private static void Plain(Span<float> parameters, Span<float> squares, ReadOnlySpan<float> gradients,
        float keep, float negativeRate, float rho, float rest, float epsilon)
    {
        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float v = ref MemoryMarshal.GetReference(squares);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        nuint length = (nuint)parameters.Length;
        nuint i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var keepV = Vector256.Create(keep);
            var rateV = Vector256.Create(negativeRate);
            var rhoV = Vector256.Create(rho);
            var restV = Vector256.Create(rest);
            var epsilonV = Vector256.Create(epsilon);
            for (; i + (nuint)Vector256<float>.Count <= length; i += (nuint)Vector256<float>.Count)
            {
                var gv = Vector256.LoadUnsafe(ref g, i);
                var vv = Vector256.FusedMultiplyAdd(restV * gv, gv, Vector256.LoadUnsafe(ref v, i) * rhoV);
                vv.StoreUnsafe(ref v, i);
                var average = Vector256.Sqrt(vv) + epsilonV;
                ((Vector256.LoadUnsafe(ref p, i) * keepV) + (rateV * gv / average)).StoreUnsafe(ref p, i);
            }
        }
        for (; i < length; i++)
        {
            float gi = Unsafe.Add(ref g, i);
            // torch: square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha), a fused (value·g)·g + v·alpha;
            // avg = square_avg.sqrt().add_(eps); param.addcdiv_(grad, avg, value=-lr).
            float vi = MathF.FusedMultiplyAdd(rest * gi, gi, Unsafe.Add(ref v, i) * rho);
            Unsafe.Add(ref v, i) = vi;
            float average = MathF.Sqrt(vi) + epsilon;
            Unsafe.Add(ref p, i) = (Unsafe.Add(ref p, i) * keep) + (negativeRate * gi / average);
        }
    }

    // parameters (N), squares (N), buffer (N), gradients (N) -> parameters (N), squares (N), buffer (N)
    private static void WithMomentum(Span<float> parameters, Span<float> squares, Span<float> buffer, ReadOnlySpan<float> gradients,
        float keep, float negativeRate, float rho, float rest, float epsilon, float momentum)
    {
        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float v = ref MemoryMarshal.GetReference(squares);
        ref float b = ref MemoryMarshal.GetReference(buffer);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        nuint length = (nuint)parameters.Length;
        nuint i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var keepV = Vector256.Create(keep);
            var rateV = Vector256.Create(negativeRate);
            var rhoV = Vector256.Create(rho);
            var restV = Vector256.Create(rest);
            var epsilonV = Vector256.Create(epsilon);
            var momentumV = Vector256.Create(momentum);
            for (; i + (nuint)Vector256<float>.Count <= length; i += (nuint)Vector256<float>.Count)
            {
                var gv = Vector256.LoadUnsafe(ref g, i);
                var vv = Vector256.FusedMultiplyAdd(restV * gv, gv, Vector256.LoadUnsafe(ref v, i) * rhoV);
                vv.StoreUnsafe(ref v, i);
                var average = Vector256.Sqrt(vv) + epsilonV;
                var bv = (Vector256.LoadUnsafe(ref b, i) * momentumV) + (gv / average);
                bv.StoreUnsafe(ref b, i);
                Vector256.FusedMultiplyAdd(bv, rateV, Vector256.LoadUnsafe(ref p, i) * keepV).StoreUnsafe(ref p, i);
            }
        }
        for (; i < length; i++)
        {
            float gi = Unsafe.Add(ref g, i);
            float vi = MathF.FusedMultiplyAdd(rest * gi, gi, Unsafe.Add(ref v, i) * rho);
            Unsafe.Add(ref v, i) = vi;
            float average = MathF.Sqrt(vi) + epsilon;
            // torch: buf.mul_(momentum).addcdiv_(grad, avg); param.add_(buf, alpha=-lr).
            float bi = (Unsafe.Add(ref b, i) * momentum) + (gi / average);
            Unsafe.Add(ref b, i) = bi;
            Unsafe.Add(ref p, i) = MathF.FusedMultiplyAdd(bi, negativeRate, Unsafe.Add(ref p, i) * keep);
        }
    }
}
