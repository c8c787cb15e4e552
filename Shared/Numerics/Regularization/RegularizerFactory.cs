using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Numerics.Regularization;

/// <summary>Maps the job spec's regularization block to a penalty.</summary>
public static class RegularizerFactory
{
    /// <summary>
    /// L1 when only l1 is set, L2 when only l2 is set, elastic net when both are; null when the spec is absent
    /// or both strengths are 0 (no penalty).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A strength is negative or not finite.</exception>
    public static Regularizer? Create(RegularizationSpec? spec)
    {
        if (spec is null)
        {
            return null;
        }
        return (spec.L1 != 0f, spec.L2 != 0f) switch
        {
            (false, false) => null,
            (true, false) => new L1Regularizer(spec.L1),
            (false, true) => new L2Regularizer(spec.L2),
            (true, true) => new ElasticNetRegularizer(spec.L1, spec.L2),
        };
    }
}
