using System.Numerics.Tensors;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Numerics.Losses;

/// <summary>
/// The losses of a GAN over the discriminator's single output per sample (a logit for MINIMAX and NON_SATURATING,
/// a score for WASSERSTEIN): the discriminator's on real and on generated samples, and the generator's. Like
/// <see cref="Loss"/>, each returns the SUM over the batch in double precision and writes the gradient of that sum,
/// because micro-shards are summed first and the update divides once by the batch size.
/// </summary>
public sealed class AdversarialLoss
{
    /// <param name="kind">MINIMAX, NON_SATURATING or WASSERSTEIN (WASSERSTEIN_GP needs a double backward and is refused).</param>
    public AdversarialLoss(AdversarialSpec.Types.Loss kind)
    {
        if (kind is not (AdversarialSpec.Types.Loss.Minimax or AdversarialSpec.Types.Loss.NonSaturating or AdversarialSpec.Types.Loss.Wasserstein))
        {
            throw new ArgumentException($"Invalid adversarial loss: {kind} (must be MINIMAX, NON_SATURATING or WASSERSTEIN)", nameof(kind));
        }
        Kind = kind;
    }

    /// <summary>The loss kind.</summary>
    public AdversarialSpec.Types.Loss Kind { get; }

    private bool Wasserstein => Kind == AdversarialSpec.Types.Loss.Wasserstein;

    /// <summary>
    /// The discriminator's loss on real samples: outputs (B) -> gradient (B). MINIMAX and NON_SATURATING:
    /// −log σ(z), binary cross-entropy against label 1; WASSERSTEIN: −f(x).
    /// </summary>
    public double Real(Span<float> gradient, ReadOnlySpan<float> outputs)
    {
        CheckLengths(gradient, outputs);
        if (Wasserstein)
        {
            // forward: l = −f  =>  dl/df = −1
            gradient[..outputs.Length].Fill(-1f);
            return -Sum(outputs);
        }
        // forward: l = softplus(−z)  =>  dl/dz = σ(z) − 1
        double sum = 0;
        foreach (float z in outputs)
        {
            sum += Softplus(-z);
        }
        TensorPrimitives.Sigmoid(outputs, gradient);
        TensorPrimitives.Subtract(gradient[..outputs.Length], 1f, gradient);
        return sum;
    }

    /// <summary>
    /// The discriminator's loss on generated samples: outputs (B) -> gradient (B). MINIMAX and NON_SATURATING:
    /// −log(1 − σ(z)), binary cross-entropy against label 0; WASSERSTEIN: f(G(z)).
    /// </summary>
    public double Fake(Span<float> gradient, ReadOnlySpan<float> outputs)
    {
        CheckLengths(gradient, outputs);
        if (Wasserstein)
        {
            // forward: l = f  =>  dl/df = 1
            gradient[..outputs.Length].Fill(1f);
            return Sum(outputs);
        }
        // forward: l = softplus(z)  =>  dl/dz = σ(z)
        double sum = 0;
        foreach (float z in outputs)
        {
            sum += Softplus(z);
        }
        TensorPrimitives.Sigmoid(outputs, gradient);
        return sum;
    }

    /// <summary>
    /// The generator's loss on the discriminator's outputs for its samples: outputs (B) -> gradient (B). MINIMAX:
    /// log(1 − σ(z)); NON_SATURATING: −log σ(z); WASSERSTEIN: −f(G(z)).
    /// </summary>
    public double Generator(Span<float> gradient, ReadOnlySpan<float> outputs)
    {
        CheckLengths(gradient, outputs);
        switch (Kind)
        {
            case AdversarialSpec.Types.Loss.Wasserstein:
                // forward: l = −f  =>  dl/df = −1
                gradient[..outputs.Length].Fill(-1f);
                return -Sum(outputs);
            case AdversarialSpec.Types.Loss.Minimax:
                {
                    // forward: l = −softplus(z)  =>  dl/dz = −σ(z)
                    double sum = 0;
                    foreach (float z in outputs)
                    {
                        sum -= Softplus(z);
                    }
                    TensorPrimitives.Sigmoid(outputs, gradient);
                    TensorPrimitives.Negate(gradient[..outputs.Length], gradient);
                    return sum;
                }
            default:
                return Real(gradient, outputs);
        }
    }

    /// <summary>log(1 + e^z) without overflow: max(z, 0) + log(1 + e^−|z|).</summary>
    private static double Softplus(double z) => Math.Max(z, 0) + LogitBinaryCrossEntropy.Log1PlusExpNegative(Math.Abs(z));

    private static double Sum(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float value in values)
        {
            sum += value;
        }
        return sum;
    }

    private static void CheckLengths(Span<float> gradient, ReadOnlySpan<float> outputs)
    {
        if (gradient.Length < outputs.Length)
        {
            throw new ArgumentException($"Invalid gradient: {gradient.Length} floats for {outputs.Length} outputs", nameof(gradient));
        }
    }
}
