using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DistributedTrainer.Numerics.Optimizers;

/// <summary>
/// AdaDelta as torch.optim.Adadelta: <c>v = ρ·v + (1-ρ)·g²</c>, <c>Δ = √(u + eps) / √(v + eps) · g</c>,
/// <c>u = ρ·u + (1-ρ)·Δ²</c>, <c>p -= lr·Δ</c>, with decoupled weight decay (<c>p -= lr·wd·p</c> first)
/// instead of torch's L2 term. State: "square_avg" (v) and "acc_delta" (u).
/// </summary>
public sealed class AdaDelta : Optimizer
{
    private const string SquareAverage = "square_avg";
    private const string DeltaAverage = "acc_delta";

    /// <param name="parameterCount">Length of the flat parameter vector.</param>
    /// <param name="options">Hyperparameters; throws <see cref="ArgumentException"/> when one is out of range.</param>
    public AdaDelta(int parameterCount, AdaDeltaOptions options)
        : base(parameterCount, StateNames(options))
    {
        Options = options;
    }

    /// <summary>The hyperparameters.</summary>
    public AdaDeltaOptions Options { get; }

    /// <inheritdoc/>
    public override float WeightDecay => Options.WeightDecay;

    private static string[] StateNames(AdaDeltaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return [SquareAverage, DeltaAverage];
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, int offset, float learningRate, float weightDecay)
    {
        // parameters (N), squares (N), deltas (N), gradients (N) -> parameters (N), squares (N), deltas (N)
        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float v = ref MemoryMarshal.GetReference(StateOf(SquareAverage, offset, parameters.Length));
        ref float u = ref MemoryMarshal.GetReference(StateOf(DeltaAverage, offset, parameters.Length));
        ref float g = ref MemoryMarshal.GetReference(gradients);
        float keep = DecoupledWeightDecay.Factor(learningRate, weightDecay);
        float negativeRate = -learningRate;
        float rho = Options.Rho;
        float rest = (float)(1.0 - rho);
        float epsilon = Options.Epsilon;
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
                var uv = Vector256.LoadUnsafe(ref u, i);
                var delta = Vector256.Sqrt(uv + epsilonV) / Vector256.Sqrt(vv + epsilonV) * gv;
                Vector256.FusedMultiplyAdd(restV * delta, delta, uv * rhoV).StoreUnsafe(ref u, i);
                Vector256.FusedMultiplyAdd(delta, rateV, Vector256.LoadUnsafe(ref p, i) * keepV).StoreUnsafe(ref p, i);
            }
        }
        for (; i < length; i++)
        {
            float gi = Unsafe.Add(ref g, i);
            // torch: square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho); std = square_avg.add(eps).sqrt_();
            // delta = acc_delta.add(eps).sqrt_().div_(std).mul_(grad);
            // acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho); param.add_(delta, alpha=-lr).
            float vi = MathF.FusedMultiplyAdd(rest * gi, gi, Unsafe.Add(ref v, i) * rho);
            Unsafe.Add(ref v, i) = vi;
            float ui = Unsafe.Add(ref u, i);
            float delta = MathF.Sqrt(ui + epsilon) / MathF.Sqrt(vi + epsilon) * gi;
            Unsafe.Add(ref u, i) = MathF.FusedMultiplyAdd(rest * delta, delta, ui * rho);
            Unsafe.Add(ref p, i) = MathF.FusedMultiplyAdd(delta, negativeRate, Unsafe.Add(ref p, i) * keep);
        }
    }
}
