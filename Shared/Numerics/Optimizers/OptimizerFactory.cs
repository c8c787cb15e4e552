using System.Globalization;
using System.Reflection;
using DistributedTrainer.Protos.V1;
using Google.Protobuf.Reflection;
using Kind = DistributedTrainer.Protos.V1.OptimizerSpec.Types.Kind;

namespace DistributedTrainer.Numerics.Optimizers;

/// <summary>Turns a job spec's <see cref="OptimizerSpec"/> into an optimizer; unset fields take the options' defaults.</summary>
public static class OptimizerFactory
{
    /// <summary>
    /// The optimizer for <paramref name="spec"/> over <paramref name="parameterCount"/> parameters.
    /// SGD, MOMENTUM and NESTEROV give <see cref="Sgd"/> (momentum default 0, 0.9 and 0.9); ADAM and ADAMW give
    /// <see cref="Adam"/> (weight decay default 0 and 0.01). Throws <see cref="ArgumentException"/> for an
    /// unspecified kind, a value out of range, or a field the kind does not use (beta1 on SGD).
    /// </summary>
    public static Optimizer Create(OptimizerSpec spec, int parameterCount) => OptionsFor(spec) switch
    {
        SgdOptions options => new Sgd(parameterCount, options),
        AdaGradOptions options => new AdaGrad(parameterCount, options),
        RmsPropOptions options => new RmsProp(parameterCount, options),
        AdaDeltaOptions options => new AdaDelta(parameterCount, options),
        AdamOptions options => new Adam(parameterCount, options),
        var options => throw new InvalidOperationException($"No optimizer for {options.GetType().Name}."),
    };

    /// <summary>
    /// The base learning rate of <paramref name="spec"/>: its learning_rate, or the kind's default
    /// (SGD family 0.01, AdaGrad 0.01, RMSProp 0.01, AdaDelta 1.0, Adam/AdamW 1e-3). Schedules start from it.
    /// </summary>
    public static float BaseLearningRate(OptimizerSpec spec) => OptionsFor(spec).LearningRate;

    private static OptimizerOptions OptionsFor(OptimizerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Kind is Kind.Unspecified || !Enum.IsDefined(spec.Kind))
        {
            throw new ArgumentException(
                $"Invalid optimizer kind: {NameOf(spec.Kind)} (choose SGD, MOMENTUM, NESTEROV, ADAGRAD, RMSPROP, ADADELTA, ADAM or ADAMW)");
        }
        RejectUnused(spec);
        return spec.Kind switch
        {
            Kind.Sgd => Sgd(spec, new SgdOptions()),
            Kind.Momentum => Sgd(spec, SgdOptions.MomentumDefaults),
            Kind.Nesterov => Sgd(spec, SgdOptions.NesterovDefaults),
            Kind.Adagrad => AdaGrad(spec, new AdaGradOptions()),
            Kind.Rmsprop => RmsProp(spec, new RmsPropOptions()),
            Kind.Adadelta => AdaDelta(spec, new AdaDeltaOptions()),
            Kind.Adam => Adam(spec, new AdamOptions()),
            _ => Adam(spec, AdamOptions.AdamWDefaults),
        };
    }

    private static SgdOptions Sgd(OptimizerSpec spec, SgdOptions defaults) => Common(spec, defaults) with
    {
        Momentum = spec.HasMomentum ? spec.Momentum : defaults.Momentum,
    };

    private static AdaGradOptions AdaGrad(OptimizerSpec spec, AdaGradOptions defaults) => Common(spec, defaults) with
    {
        Epsilon = spec.HasEpsilon ? spec.Epsilon : defaults.Epsilon,
        InitialAccumulator = spec.HasInitialAccumulator ? spec.InitialAccumulator : defaults.InitialAccumulator,
    };

    private static RmsPropOptions RmsProp(OptimizerSpec spec, RmsPropOptions defaults) => Common(spec, defaults) with
    {
        Rho = spec.HasRho ? spec.Rho : defaults.Rho,
        Epsilon = spec.HasEpsilon ? spec.Epsilon : defaults.Epsilon,
        Momentum = spec.HasMomentum ? spec.Momentum : defaults.Momentum,
    };

    private static AdaDeltaOptions AdaDelta(OptimizerSpec spec, AdaDeltaOptions defaults) => Common(spec, defaults) with
    {
        Rho = spec.HasRho ? spec.Rho : defaults.Rho,
        Epsilon = spec.HasEpsilon ? spec.Epsilon : defaults.Epsilon,
    };

    private static AdamOptions Adam(OptimizerSpec spec, AdamOptions defaults) => Common(spec, defaults) with
    {
        Beta1 = spec.HasBeta1 ? spec.Beta1 : defaults.Beta1,
        Beta2 = spec.HasBeta2 ? spec.Beta2 : defaults.Beta2,
        Epsilon = spec.HasEpsilon ? spec.Epsilon : defaults.Epsilon,
    };

    private static T Common<T>(OptimizerSpec spec, T defaults)
        where T : OptimizerOptions
    {
        return defaults with
        {
            LearningRate = spec.HasLearningRate ? spec.LearningRate : defaults.LearningRate,
            WeightDecay = spec.HasWeightDecay ? spec.WeightDecay : defaults.WeightDecay,
        };
    }

    /// <summary>A field set for a kind that ignores it is almost always a mistake in the spec; say so.</summary>
    private static void RejectUnused(OptimizerSpec spec)
    {
        bool sgdFamily = spec.Kind is Kind.Sgd or Kind.Momentum or Kind.Nesterov;
        bool adam = spec.Kind is Kind.Adam or Kind.Adamw;
        Reject(spec, spec.HasMomentum && !(sgdFamily || spec.Kind == Kind.Rmsprop), "momentum", spec.Momentum);
        Reject(spec, spec.HasBeta1 && !adam, "beta1", spec.Beta1);
        Reject(spec, spec.HasBeta2 && !adam, "beta2", spec.Beta2);
        Reject(spec, spec.HasEpsilon && sgdFamily, "epsilon", spec.Epsilon);
        Reject(spec, spec.HasRho && spec.Kind is not (Kind.Rmsprop or Kind.Adadelta), "rho", spec.Rho);
        Reject(spec, spec.HasInitialAccumulator && spec.Kind != Kind.Adagrad, "initial_accumulator", spec.InitialAccumulator);
    }

    private static void Reject(OptimizerSpec spec, bool unused, string field, float value)
    {
        if (unused)
        {
            throw OptionCheck.Invalid(field, value, $"optimizer {NameOf(spec.Kind)} does not use {field}");
        }
    }

    /// <summary>The kind as the spec spells it ("ADAMW", not "Adamw").</summary>
    private static string NameOf(Kind kind) =>
        typeof(Kind).GetField(kind.ToString())?.GetCustomAttribute<OriginalNameAttribute>()?.Name ?? ((int)kind).ToString(CultureInfo.InvariantCulture);
}
