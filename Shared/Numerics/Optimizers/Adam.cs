using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DistributedTrainer.Numerics.Optimizers;

/// <summary>
/// Adam with bias correction and decoupled weight decay, exactly torch.optim.AdamW's single-tensor step
/// (and torch.optim.Adam's when weight decay is 0): <c>p *= 1 - lr·wd</c>, <c>m = β1·m + (1-β1)·g</c>,
/// <c>v = β2·v + (1-β2)·g²</c>, <c>p -= lr/(1-β1^t) · m / (√v / √(1-β2^t) + eps)</c> with t the step from 1.
/// State: "exp_avg" (m) and "exp_avg_sq" (v).
/// </summary>
public sealed class Adam : Optimizer
{
    private const string FirstMoment = "exp_avg";
    private const string SecondMoment = "exp_avg_sq";

    /// <param name="parameterCount">Length of the flat parameter vector.</param>
    /// <param name="options">Hyperparameters; throws <see cref="ArgumentException"/> when one is out of range.</param>
    public Adam(int parameterCount, AdamOptions options)
        : base(parameterCount, StateNames(options))
    {
        Options = options;
    }

    /// <summary>The hyperparameters.</summary>
    public AdamOptions Options { get; }

    /// <inheritdoc/>
    public override float WeightDecay => Options.WeightDecay;

    private static string[] StateNames(AdamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return [FirstMoment, SecondMoment];
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, int offset, float learningRate, float weightDecay)
    {
        // parameters (N), m (N), v (N), gradients (N) -> parameters (N), m (N), v (N)
        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float m = ref MemoryMarshal.GetReference(StateOf(FirstMoment, offset, parameters.Length));
        ref float v = ref MemoryMarshal.GetReference(StateOf(SecondMoment, offset, parameters.Length));
        ref float g = ref MemoryMarshal.GetReference(gradients);
        float keep = DecoupledWeightDecay.Factor(learningRate, weightDecay);
        float beta1 = Options.Beta1;
        float beta2 = Options.Beta2;
        // Scalars are formed in double and rounded once to float, as torch does with its Python-float scalars.
        float rest1 = (float)(1.0 - beta1);
        float rest2 = (float)(1.0 - beta2);
        double correction1 = 1.0 - Math.Pow(beta1, StepCount);
        float negativeStep = (float)-(learningRate / correction1);
        float correction2Root = (float)Math.Sqrt(1.0 - Math.Pow(beta2, StepCount));
        float epsilon = Options.Epsilon;
        nuint length = (nuint)parameters.Length;
        nuint i = 0;
        // Every width runs the same IEEE operations per element as the scalar loop, so results match bit for bit.
        if (Vector512.IsHardwareAccelerated)
        {
            var keepV = Vector512.Create(keep);
            var beta1V = Vector512.Create(beta1);
            var beta2V = Vector512.Create(beta2);
            var rest1V = Vector512.Create(rest1);
            var rest2V = Vector512.Create(rest2);
            var stepV = Vector512.Create(negativeStep);
            var rootV = Vector512.Create(correction2Root);
            var epsilonV = Vector512.Create(epsilon);
            for (; i + (nuint)Vector512<float>.Count <= length; i += (nuint)Vector512<float>.Count)
            {
                var gv = Vector512.LoadUnsafe(ref g, i);
                var mv = Vector512.FusedMultiplyAdd(gv, rest1V, Vector512.LoadUnsafe(ref m, i) * beta1V);
                var vv = Vector512.FusedMultiplyAdd(rest2V * gv, gv, Vector512.LoadUnsafe(ref v, i) * beta2V);
                mv.StoreUnsafe(ref m, i);
                vv.StoreUnsafe(ref v, i);
                var denominator = (Vector512.Sqrt(vv) / rootV) + epsilonV;
                ((Vector512.LoadUnsafe(ref p, i) * keepV) + (stepV * mv / denominator)).StoreUnsafe(ref p, i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var keepV = Vector256.Create(keep);
            var beta1V = Vector256.Create(beta1);
            var beta2V = Vector256.Create(beta2);
            var rest1V = Vector256.Create(rest1);
            var rest2V = Vector256.Create(rest2);
            var stepV = Vector256.Create(negativeStep);
            var rootV = Vector256.Create(correction2Root);
            var epsilonV = Vector256.Create(epsilon);
            for (; i + (nuint)Vector256<float>.Count <= length; i += (nuint)Vector256<float>.Count)
            {
                var gv = Vector256.LoadUnsafe(ref g, i);
                var mv = Vector256.FusedMultiplyAdd(gv, rest1V, Vector256.LoadUnsafe(ref m, i) * beta1V);
                var vv = Vector256.FusedMultiplyAdd(rest2V * gv, gv, Vector256.LoadUnsafe(ref v, i) * beta2V);
                mv.StoreUnsafe(ref m, i);
                vv.StoreUnsafe(ref v, i);
                var denominator = (Vector256.Sqrt(vv) / rootV) + epsilonV;
                ((Vector256.LoadUnsafe(ref p, i) * keepV) + (stepV * mv / denominator)).StoreUnsafe(ref p, i);
            }
        }
        for (; i < length; i++)
        {
            float gi = Unsafe.Add(ref g, i);
            // torch: exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1) and
            // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2), each a multiply then a fused add;
            // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps);
            // param.addcdiv_(exp_avg, denom, value=-step_size), which computes p + (value·m) / denom.
            float mi = MathF.FusedMultiplyAdd(gi, rest1, Unsafe.Add(ref m, i) * beta1);
            float vi = MathF.FusedMultiplyAdd(rest2 * gi, gi, Unsafe.Add(ref v, i) * beta2);
            Unsafe.Add(ref m, i) = mi;
            Unsafe.Add(ref v, i) = vi;
            float denominator = (MathF.Sqrt(vi) / correction2Root) + epsilon;
            Unsafe.Add(ref p, i) = (Unsafe.Add(ref p, i) * keep) + (negativeStep * mi / denominator);
        }
    }
}
