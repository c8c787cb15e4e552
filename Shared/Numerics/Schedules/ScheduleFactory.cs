using DistributedTrainer.Protos.V1;
using Kind = DistributedTrainer.Protos.V1.ScheduleSpec.Types.Kind;

namespace DistributedTrainer.Numerics.Schedules;

/// <summary>Turns a job spec's <see cref="ScheduleSpec"/> into a schedule.</summary>
public static class ScheduleFactory
{
    /// <summary>STEP's gamma when unset.</summary>
    public const float DefaultStepGamma = 0.1f;

    /// <summary>PLATEAU's factor when unset.</summary>
    public const float DefaultPlateauFactor = 0.1f;

    /// <summary>PLATEAU's relative threshold when unset.</summary>
    public const float DefaultPlateauThreshold = 1e-4f;

    /// <summary>
    /// The schedule for <paramref name="spec"/> starting from <paramref name="baseLearningRate"/> (the optimizer's,
    /// see OptimizerFactory.BaseLearningRate). No spec or kind CONSTANT/unspecified: constant. STEP: gamma default
    /// 0.1. EXPONENTIAL: gamma required. INVERSE_TIME: decay &gt; 0. COSINE: total_steps 0 means
    /// <paramref name="totalSteps"/> (the whole job, in optimizer steps). PLATEAU: factor default 0.1, threshold
    /// default 1e-4, patience as given. warmup_steps &gt; 0 wraps any of them in <see cref="LinearWarmup"/>.
    /// Throws <see cref="ArgumentException"/> naming the field when a value is out of range.
    /// </summary>
    public static LearningRateSchedule Create(ScheduleSpec? spec, float baseLearningRate, long totalSteps)
    {
        if (spec is null)
        {
            return new ConstantRate(baseLearningRate);
        }
        ScheduleCheck.NotNegative("warmup_steps", spec.WarmupSteps);
        var schedule = Inner(spec, baseLearningRate, totalSteps);
        return spec.WarmupSteps > 0 ? new LinearWarmup(schedule, spec.WarmupSteps) : schedule;
    }

    private static LearningRateSchedule Inner(ScheduleSpec spec, float rate, long totalSteps) => spec.Kind switch
    {
        Kind.Unspecified or Kind.Constant => new ConstantRate(rate),
        Kind.Step => new StepDecay(rate, spec.StepSize, spec.HasGamma ? spec.Gamma : DefaultStepGamma),
        Kind.Exponential => spec.HasGamma
            ? new ExponentialDecay(rate, spec.Gamma)
            : throw new ArgumentException("Invalid gamma: unset (an EXPONENTIAL schedule needs gamma in (0, 1], the multiplier per step)"),
        Kind.InverseTime => new InverseTimeDecay(rate, spec.Decay),
        Kind.Cosine => new CosineDecay(rate, spec.TotalSteps != 0 ? spec.TotalSteps : totalSteps, spec.MinLr),
        Kind.Plateau => new ReduceOnPlateau(rate, spec.HasFactor ? spec.Factor : DefaultPlateauFactor, spec.Patience,
            spec.HasThreshold ? spec.Threshold : DefaultPlateauThreshold, spec.MinLr),
        _ => throw new ArgumentException(
            $"Invalid schedule kind: {(int)spec.Kind} (choose CONSTANT, STEP, EXPONENTIAL, INVERSE_TIME, COSINE or PLATEAU)"),
    };
}
