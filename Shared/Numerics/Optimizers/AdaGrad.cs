using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DistributedTrainer.Numerics.Optimizers;

/// <summary>
/// AdaGrad as torch.optim.Adagrad (no learning-rate decay): <c>sum += g²</c>, <c>p -= lr·g / (√sum + eps)</c>,
/// with decoupled weight decay (<c>p -= lr·wd·p</c> first) instead of torch's L2 term.
/// State: "sum", filled with <see cref="AdaGradOptions.InitialAccumulator"/>.
/// </summary>
public sealed class AdaGrad : Optimizer
{
    private const string Sum = "sum";

    /// <param name="parameterCount">Length of the flat parameter vector.</param>
    /// <param name="options">Hyperparameters; throws <see cref="ArgumentException"/> when one is out of range.</param>
    public AdaGrad(int parameterCount, AdaGradOptions options)
        : base(parameterCount, StateNames(options))
    {
        Options = options;
        StateVector(Sum).AsSpan().Fill(options.InitialAccumulator);
    }

    /// <summary>The hyperparameters.</summary>
    public AdaGradOptions Options { get; }

    /// <inheritdoc/>
    public override float WeightDecay => Options.WeightDecay;

    private static string[] StateNames(AdaGradOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return [Sum];
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, int offset, float learningRate, float weightDecay)
    {
        // parameters (N), sum (N), gradients (N) -> parameters (N), sum (N)
        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float s = ref MemoryMarshal.GetReference(StateOf(Sum, offset, parameters.Length));
        ref float g = ref MemoryMarshal.GetReference(gradients);
        float keep = DecoupledWeightDecay.Factor(learningRate, weightDecay);
        float negativeRate = -learningRate;
        float epsilon = Options.Epsilon;
        nuint length = (nuint)parameters.Length;
        nuint i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var keepV = Vector256.Create(keep);
            var rateV = Vector256.Create(negativeRate);
            var epsilonV = Vector256.Create(epsilon);
            for (; i + (nuint)Vector256<float>.Count <= length; i += (nuint)Vector256<float>.Count)
            {
                var gv = Vector256.LoadUnsafe(ref g, i);
                var sv = Vector256.FusedMultiplyAdd(gv, gv, Vector256.LoadUnsafe(ref s, i));
                sv.StoreUnsafe(ref s, i);
                var std = Vector256.Sqrt(sv) + epsilonV;
                ((Vector256.LoadUnsafe(ref p, i) * keepV) + (rateV * gv / std)).StoreUnsafe(ref p, i);
            }
        }
        for (; i < length; i++)
        {
            float gi = Unsafe.Add(ref g, i);
            // torch: state_sum.addcmul_(grad, grad, value=1); std = state_sum.sqrt().add_(eps);
            // param.addcdiv_(grad, std, value=-clr), which computes p + (value·g) / std.
            float si = MathF.FusedMultiplyAdd(gi, gi, Unsafe.Add(ref s, i));
            Unsafe.Add(ref s, i) = si;
            float std = MathF.Sqrt(si) + epsilon;
            Unsafe.Add(ref p, i) = (Unsafe.Add(ref p, i) * keep) + (negativeRate * gi / std);
        }
    }
}
