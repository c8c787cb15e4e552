using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DistributedTrainer.Numerics.Optimizers;

/// <summary>
/// Stochastic gradient descent with optional heavy-ball or Nesterov momentum, in torch.optim.SGD's
/// formulation (dampening 0): <c>buf = μ·buf + g</c>, then <c>p -= lr·buf</c> (heavy ball) or
/// <c>p -= lr·(g + μ·buf)</c> (Nesterov); plain SGD is <c>p -= lr·g</c>. Weight decay is decoupled
/// (<c>p -= lr·wd·p</c> first), unlike torch.optim.SGD's L2 term.
/// State: "momentum_buffer" when momentum &gt; 0 (zeros at start, so the first step sets it to g as torch does).
/// </summary>
public sealed class Sgd : Optimizer
{
    private const string MomentumBuffer = "momentum_buffer";

    /// <param name="parameterCount">Length of the flat parameter vector.</param>
    /// <param name="options">Hyperparameters; throws <see cref="ArgumentException"/> when one is out of range.</param>
    public Sgd(int parameterCount, SgdOptions options)
        : base(parameterCount, StateNames(options))
    {
        Options = options;
    }

    /// <summary>The hyperparameters.</summary>
    public SgdOptions Options { get; }

    /// <inheritdoc/>
    public override float WeightDecay => Options.WeightDecay;

    private static string[] StateNames(SgdOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.Momentum > 0f ? [MomentumBuffer] : [];
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, int offset, float learningRate, float weightDecay)
    {
        float keep = DecoupledWeightDecay.Factor(learningRate, weightDecay);
        if (Options.Momentum == 0f)
        {
            Plain(parameters, gradients, keep, -learningRate);
        }
        else if (Options.Nesterov)
        {
            Nesterov(parameters, StateOf(MomentumBuffer, offset, parameters.Length), gradients, keep, -learningRate, Options.Momentum);
        }
        else
        {
            HeavyBall(parameters, StateOf(MomentumBuffer, offset, parameters.Length), gradients, keep, -learningRate, Options.Momentum);
        }
    }

    // parameters (N), gradients (N) -> parameters (N)
    private static void Plain(Span<float> parameters, ReadOnlySpan<float> gradients, float keep, float negativeRate)
    {
        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        nuint length = (nuint)parameters.Length;
        nuint i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var keepV = Vector256.Create(keep);
            var rateV = Vector256.Create(negativeRate);
            for (; i + (nuint)Vector256<float>.Count <= length; i += (nuint)Vector256<float>.Count)
            {
                var pv = Vector256.LoadUnsafe(ref p, i) * keepV;
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref g, i), rateV, pv).StoreUnsafe(ref p, i);
            }
        }
        for (; i < length; i++)
        {
            // torch: param.add_(d_p, alpha=-lr), which its CPU kernel computes as one fused multiply-add.
            Unsafe.Add(ref p, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref g, i), negativeRate, Unsafe.Add(ref p, i) * keep);
        }
    }

    // parameters (N), buffer (N), gradients (N) -> parameters (N), buffer (N)
    private static void HeavyBall(Span<float> parameters, Span<float> buffer, ReadOnlySpan<float> gradients, float keep, float negativeRate, float momentum)
    {
        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float b = ref MemoryMarshal.GetReference(buffer);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        nuint length = (nuint)parameters.Length;
        nuint i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var keepV = Vector256.Create(keep);
            var rateV = Vector256.Create(negativeRate);
            var momentumV = Vector256.Create(momentum);
            for (; i + (nuint)Vector256<float>.Count <= length; i += (nuint)Vector256<float>.Count)
            {
                var bv = (Vector256.LoadUnsafe(ref b, i) * momentumV) + Vector256.LoadUnsafe(ref g, i);
                bv.StoreUnsafe(ref b, i);
                Vector256.FusedMultiplyAdd(bv, rateV, Vector256.LoadUnsafe(ref p, i) * keepV).StoreUnsafe(ref p, i);
            }
        }
        for (; i < length; i++)
        {
            // torch: buf.mul_(momentum).add_(d_p) rounds the product before the sum; param.add_(buf, alpha=-lr).
            float bi = (Unsafe.Add(ref b, i) * momentum) + Unsafe.Add(ref g, i);
            Unsafe.Add(ref b, i) = bi;
            Unsafe.Add(ref p, i) = MathF.FusedMultiplyAdd(bi, negativeRate, Unsafe.Add(ref p, i) * keep);
        }
    }

    // parameters (N), buffer (N), gradients (N) -> parameters (N), buffer (N)
    private static void Nesterov(Span<float> parameters, Span<float> buffer, ReadOnlySpan<float> gradients, float keep, float negativeRate, float momentum)
    {
        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float b = ref MemoryMarshal.GetReference(buffer);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        nuint length = (nuint)parameters.Length;
        nuint i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var keepV = Vector256.Create(keep);
            var rateV = Vector256.Create(negativeRate);
            var momentumV = Vector256.Create(momentum);
            for (; i + (nuint)Vector256<float>.Count <= length; i += (nuint)Vector256<float>.Count)
            {
                var gv = Vector256.LoadUnsafe(ref g, i);
                var bv = (Vector256.LoadUnsafe(ref b, i) * momentumV) + gv;
                bv.StoreUnsafe(ref b, i);
                var step = Vector256.FusedMultiplyAdd(bv, momentumV, gv);
                Vector256.FusedMultiplyAdd(step, rateV, Vector256.LoadUnsafe(ref p, i) * keepV).StoreUnsafe(ref p, i);
            }
        }
        for (; i < length; i++)
        {
            float gi = Unsafe.Add(ref g, i);
            float bi = (Unsafe.Add(ref b, i) * momentum) + gi;
            Unsafe.Add(ref b, i) = bi;
            // torch: d_p = d_p.add(buf, alpha=momentum); param.add_(d_p, alpha=-lr).
            float step = MathF.FusedMultiplyAdd(bi, momentum, gi);
            Unsafe.Add(ref p, i) = MathF.FusedMultiplyAdd(step, negativeRate, Unsafe.Add(ref p, i) * keep);
        }
    }
}
