using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Numerics.Initializers;

/// <summary>Maps the job spec's initializer block to an initializer.</summary>
public static class InitializerFactory
{
    /// <summary>
    /// The initializer <paramref name="spec"/> describes, or <paramref name="fallback"/> when the spec is absent
    /// or its kind is unspecified. Unset optional fields take the proto's documented defaults: UNIFORM bounds
    /// -0.05..0.05, NORMAL std 0.05 (mean 0), gain 1, fan mode FAN_IN; SPARSE std 0.01 (PyTorch's).
    /// He initializers assume a ReLU (negative slope 0), the only case the spec can express.
    /// </summary>
    /// <exception cref="ArgumentException">A value is out of range or the kind is unknown.</exception>
    public static Initializer Create(InitializerSpec? spec, Initializer fallback)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        if (spec is null)
        {
            return fallback;
        }
        float gain = spec.HasGain ? spec.Gain : 1f;
        return spec.Kind switch
        {
            InitializerSpec.Types.Kind.Unspecified => fallback,
            InitializerSpec.Types.Kind.Zeros => new ZerosInitializer(),
            InitializerSpec.Types.Kind.Constant => new ConstantInitializer(spec.Value),
            InitializerSpec.Types.Kind.Uniform => new UniformInitializer(
                spec.HasLow ? spec.Low : UniformInitializer.DefaultLow, spec.HasHigh ? spec.High : UniformInitializer.DefaultHigh),
            InitializerSpec.Types.Kind.Normal => new NormalInitializer(spec.Mean, spec.HasStd ? spec.Std : NormalInitializer.DefaultStd),
            InitializerSpec.Types.Kind.XavierUniform => new XavierUniformInitializer(gain),
            InitializerSpec.Types.Kind.XavierNormal => new XavierNormalInitializer(gain),
            InitializerSpec.Types.Kind.HeUniform => new HeUniformInitializer(FanModeOf(spec)),
            InitializerSpec.Types.Kind.HeNormal => new HeNormalInitializer(FanModeOf(spec)),
            InitializerSpec.Types.Kind.LecunUniform => new LeCunUniformInitializer(FanModeOf(spec)),
            InitializerSpec.Types.Kind.LecunNormal => new LeCunNormalInitializer(FanModeOf(spec)),
            InitializerSpec.Types.Kind.Orthogonal => new OrthogonalInitializer(gain),
            InitializerSpec.Types.Kind.Sparse => new SparseInitializer(spec.SparseNonzero, spec.HasStd ? spec.Std : SparseInitializer.DefaultStd),
            InitializerSpec.Types.Kind.Identity => new IdentityInitializer(gain),
            _ => throw new ArgumentException($"Invalid initializer kind: {spec.Kind} (unknown value)", nameof(spec)),
        };
    }

    private static FanMode FanModeOf(InitializerSpec spec) => spec.FanMode switch
    {
        InitializerSpec.Types.FanMode.Unspecified or InitializerSpec.Types.FanMode.FanIn => FanMode.FanIn,
        InitializerSpec.Types.FanMode.FanOut => FanMode.FanOut,
        _ => throw new ArgumentException($"Invalid fan_mode: {spec.FanMode} (must be FAN_IN or FAN_OUT)", nameof(spec)),
    };
}
