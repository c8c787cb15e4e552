using System.Globalization;
using DistributedTrainer.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace DistributedTrainer.Sweeps;

/// <summary>
/// A validated sweep with every default applied (see <see cref="SweepSpecValidator.Plan"/>): what the sweep grain and
/// <c>trainctl sweep</c> run. It builds each trial's job spec and the sweep's sampler and scheduler.
/// </summary>
public sealed record SweepPlan(
    string Name,
    JobSpec Base,
    IReadOnlyList<SweepParameter> Parameters,
    SweepObjective Objective,
    SweepSpec.Types.Sampler Sampler,
    TrialSchedulerSettings Scheduler,
    int MaxTrials,
    int MaxConcurrentTrials,
    int MaxFailedTrials,
    ulong Seed,
    int StartupTrials)
{
    /// <summary>
    /// The job spec of trial <paramref name="trial"/> (0-based): the base spec with <paramref name="point"/> (one value
    /// per parameter, in order) written into it, the scheduler's epochs, and the name <c>&lt;sweep&gt;-trial-007</c>.
    /// The base spec's seed is kept, so trials differ only by their parameters.
    /// </summary>
    /// <exception cref="ArgumentException">The point has the wrong length or a value its field cannot take.</exception>
    public JobSpec TrialSpec(int trial, IReadOnlyList<Value> point)
    {
        ArgumentNullException.ThrowIfNull(point);
        if (point.Count != Parameters.Count)
        {
            throw new ArgumentException($"Invalid point for trial {trial}: {point.Count} values for {Parameters.Count} parameters", nameof(point));
        }
        var spec = Base.Clone();
        spec.Epochs = Scheduler.MaxEpochs;
        for (int i = 0; i < point.Count; i++)
        {
            var parameter = Parameters[i];
            bool converts = point[i].KindCase == Value.KindOneofCase.NumberValue && !parameter.IsCategorical
                ? FieldValues.TryFromNumber(parameter.Path.Field, point[i].NumberValue, exact: false, out var converted, out var problem)
                : FieldValues.TryConvert(parameter.Path.Field, point[i], out converted, out problem);
            if (!converts)
            {
                throw new ArgumentException($"Invalid value for {parameter.Path.Text} in trial {trial}: {problem}", nameof(point));
            }
            parameter.Path.Apply(spec, converted!);
        }
        string prefix = Name.Length > 0 ? Name : "sweep";
        spec.Name = $"{prefix}-trial-{trial.ToString("D3", CultureInfo.InvariantCulture)}";
        return spec;
    }

    /// <summary>The sampler the spec names, seeded with <see cref="Seed"/>.</summary>
    public ITrialSampler CreateSampler() => Sampler switch
    {
        SweepSpec.Types.Sampler.Grid => new GridSampler(Parameters),
        SweepSpec.Types.Sampler.Bayesian => new TpeSampler(Parameters, Objective, Seed, StartupTrials, MaxConcurrentTrials),
        _ => new RandomSampler(Parameters, Seed),
    };

    /// <summary>A fresh scheduler of the spec's kind.</summary>
    public ITrialScheduler CreateScheduler() => Scheduler.Create(Objective);
}
