using System.Globalization;
using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace DistributedTrainer.Sweeps;

/// <summary>
/// Every check of a sweep spec, before any trial starts: the base job spec (as <see cref="JobSpecValidator"/>), each
/// parameter's path against the base spec, its range or values against the field's type, every bound and listed value
/// written into the base spec and validated there, the objective, the sampler (a GRID needs listed values and no more
/// points than <c>max_trials</c>), the scheduler and the trial counts. Errors carry field paths of the sweep spec
/// (<c>parameters[1].log_uniform.min</c>); those found in the base spec start with <c>base.</c>.
/// </summary>
public static class SweepSpecValidator
{
    private const int DefaultStartupTrials = 10;

    /// <summary>Checks <paramref name="spec"/>; trial specs are checked against <paramref name="limits"/>.</summary>
    public static ValidationResult Validate(SweepSpec spec, JobLimits limits) => Check(spec, limits, out _);

    /// <summary>Checks <paramref name="spec"/> and, when it is valid, resolves it with every default applied.</summary>
    /// <exception cref="JobSpecException">The spec is invalid; every error has its field path.</exception>
    public static SweepPlan Plan(SweepSpec spec, JobLimits limits)
    {
        var result = Check(spec, limits, out var plan);
        result.ThrowIfInvalid();
        return plan!;
    }

    private static ValidationResult Check(SweepSpec spec, JobLimits limits, out SweepPlan? plan)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(limits);
        plan = null;
        var errors = new List<ValidationError>();
        if (spec.Base is null)
        {
            errors.Add(new("base", "required (the job spec every trial starts from)"));
            return new ValidationResult(errors);
        }
        var baseErrors = JobSpecValidator.Validate(spec.Base, limits).Errors;
        errors.AddRange(baseErrors.Select(error => new ValidationError(Join("base", error.FieldPath), error.Reason)));
        bool baseValid = baseErrors.Count == 0;

        var parameters = new List<SweepParameter>();
        if (spec.Parameters.Count == 0)
        {
            errors.Add(new("parameters", "at least one parameter is required"));
        }
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < spec.Parameters.Count; i++)
        {
            if (CheckParameter(spec.Parameters[i], $"parameters[{i}]", spec.Base, limits, baseValid, errors) is { } parameter)
            {
                if (seen.TryGetValue(parameter.Path.Text, out int first))
                {
                    errors.Add(new($"parameters[{i}].path", $"{parameter.Path.Text} is already varied by parameters[{first}]"));
                }
                else
                {
                    seen[parameter.Path.Text] = i;
                    parameters.Add(parameter);
                }
            }
        }

        var objective = CheckObjective(spec.Objective ?? new ObjectiveSpec(), spec.Base, errors);
        var sampler = spec.Sampler == SweepSpec.Types.Sampler.Unspecified ? SweepSpec.Types.Sampler.Random : spec.Sampler;
        int maxTrials = CheckTrials(spec, sampler, parameters, errors);
        int concurrent = spec.MaxConcurrentTrials == 0 ? 1 : spec.MaxConcurrentTrials;
        if (spec.MaxConcurrentTrials < 0)
        {
            errors.Add(new("max_concurrent_trials", $"must be > 0, got {spec.MaxConcurrentTrials}"));
        }
        if (spec.MaxFailedTrials < 0)
        {
            errors.Add(new("max_failed_trials", $"must be >= 0 (0: failures never end the sweep), got {spec.MaxFailedTrials}"));
        }
        int startup = spec.StartupTrials == 0 ? DefaultStartupTrials : spec.StartupTrials;
        if (spec.StartupTrials < 0)
        {
            errors.Add(new("startup_trials", $"must be > 0, got {spec.StartupTrials}"));
        }
        var scheduler = CheckScheduler(spec.Scheduler ?? new SchedulerSpec(), spec.Base.Epochs, errors);
        if (errors.Count == 0)
        {
            plan = new SweepPlan(spec.Name, spec.Base.Clone(), parameters, objective, sampler, scheduler, maxTrials,
                Math.Min(concurrent, maxTrials), spec.MaxFailedTrials, spec.Seed, startup);
        }
        return new ValidationResult(errors);
    }

    private static SweepParameter? CheckParameter(ParameterSpec spec, string at, JobSpec baseSpec, JobLimits limits, bool baseValid,
        List<ValidationError> errors)
    {
        if (!ParameterPath.TryResolve(spec.Path, baseSpec, out var path, out var pathProblem))
        {
            errors.Add(new($"{at}.path", pathProblem!));
            return null;
        }
        var field = path!.Field;
        int before = errors.Count;
        SweepParameter? parameter = null;
        switch (spec.DomainCase)
        {
            case ParameterSpec.DomainOneofCase.None:
                errors.Add(new(at, "set one of uniform, log_uniform, int_uniform, choice, grid"));
                return null;
            case ParameterSpec.DomainOneofCase.Uniform or ParameterSpec.DomainOneofCase.LogUniform or ParameterSpec.DomainOneofCase.IntUniform:
                var kind = spec.DomainCase switch
                {
                    ParameterSpec.DomainOneofCase.Uniform => ParameterKind.Uniform,
                    ParameterSpec.DomainOneofCase.LogUniform => ParameterKind.LogUniform,
                    _ => ParameterKind.IntUniform,
                };
                var range = spec.Uniform ?? spec.LogUniform ?? spec.IntUniform;
                string rangeAt = $"{at}.{DomainName(spec.DomainCase)}";
                CheckRange(range, kind, field, rangeAt, errors);
                if (errors.Count == before)
                {
                    parameter = new SweepParameter(path, kind, range.Min, range.Max, []);
                    // Both ends are values a trial can get; the field's own checks must accept them.
                    CheckInBase(parameter, Value.ForNumber(range.Min), $"{rangeAt}.min", baseSpec, limits, baseValid, errors);
                    CheckInBase(parameter, Value.ForNumber(range.Max), $"{rangeAt}.max", baseSpec, limits, baseValid, errors);
                }
                break;
            default:
                var values = (spec.Choice ?? spec.Grid).Values;
                string valuesAt = $"{at}.{DomainName(spec.DomainCase)}.values";
                if (values.Count == 0)
                {
                    errors.Add(new(valuesAt, "at least one value is required"));
                    break;
                }
                var candidate = new SweepParameter(path, spec.DomainCase == ParameterSpec.DomainOneofCase.Grid ? ParameterKind.Grid : ParameterKind.Choice,
                    0, values.Count - 1, [.. values.Select(value => value.Clone())]);
                for (int v = 0; v < values.Count; v++)
                {
                    if (!FieldValues.TryConvert(field, values[v], out _, out var problem))
                    {
                        errors.Add(new($"{valuesAt}[{v}]", $"{problem} ({path.Text})"));
                    }
                    else
                    {
                        CheckInBase(candidate, values[v], $"{valuesAt}[{v}]", baseSpec, limits, baseValid, errors);
                    }
                }
                parameter = candidate;
                break;
        }
        return errors.Count == before ? parameter : null;
    }

    private static void CheckRange(RangeSpec range, ParameterKind kind, Google.Protobuf.Reflection.FieldDescriptor field, string at,
        List<ValidationError> errors)
    {
        if (!FieldValues.IsNumeric(field))
        {
            errors.Add(new(at, $"{field.Name} is not a number ({field.FieldType.ToString().ToLowerInvariant()}); use choice for it"));
            return;
        }
        if (!double.IsFinite(range.Min) || !double.IsFinite(range.Max))
        {
            errors.Add(new(at, $"min and max must be finite, got {Show(range.Min)}..{Show(range.Max)}"));
            return;
        }
        if (range.Min > range.Max)
        {
            errors.Add(new($"{at}.min", $"must be <= max, got min {Show(range.Min)} > max {Show(range.Max)}"));
        }
        if (kind == ParameterKind.LogUniform && range.Min <= 0)
        {
            errors.Add(new($"{at}.min", $"a log range must stay above zero, got {Show(range.Min)}"));
        }
        if (kind == ParameterKind.IntUniform && (range.Min != Math.Floor(range.Min) || range.Max != Math.Floor(range.Max)))
        {
            errors.Add(new(at, $"int_uniform bounds must be whole numbers, got {Show(range.Min)}..{Show(range.Max)}"));
        }
        if (kind != ParameterKind.IntUniform && FieldValues.IsInteger(field) && Math.Round(range.Min) > Math.Round(range.Max))
        {
            errors.Add(new(at, $"holds no whole number for {field.Name}"));
        }
    }

    /// <summary>Writes <paramref name="value"/> into a copy of the base spec and reports what the job checks say of it.</summary>
    private static void CheckInBase(SweepParameter parameter, Value value, string at, JobSpec baseSpec, JobLimits limits, bool baseValid,
        List<ValidationError> errors)
    {
        bool converts = value.KindCase == Value.KindOneofCase.NumberValue && !parameter.IsCategorical
            ? FieldValues.TryFromNumber(parameter.Path.Field, value.NumberValue, exact: false, out var converted, out var problem)
            : FieldValues.TryConvert(parameter.Path.Field, value, out converted, out problem);
        if (!converts)
        {
            errors.Add(new(at, $"{problem} ({parameter.Path.Text})"));
            return;
        }
        if (!baseValid)
        {
            // The base spec's own errors are reported already; a trial's would only repeat them.
            return;
        }
        var trial = baseSpec.Clone();
        parameter.Path.Apply(trial, converted!);
        foreach (var error in JobSpecValidator.Validate(trial, limits).Errors)
        {
            errors.Add(new(at, $"{FieldValues.Format(value)} makes the trial invalid: {error}"));
        }
    }

    private static SweepObjective CheckObjective(ObjectiveSpec spec, JobSpec baseSpec, List<ValidationError> errors)
    {
        string metric = spec.Metric.Length == 0 ? SweepObjective.DefaultMetric : spec.Metric;
        if (!SweepObjective.IsKnown(metric))
        {
            errors.Add(new("objective.metric", $"unknown metric \"{metric}\" (one of {string.Join(", ", SweepObjective.Metrics)})"));
        }
        else if (metric.StartsWith("validation_", StringComparison.Ordinal) && (baseSpec.Dataset?.ValidationFraction ?? 0) <= 0)
        {
            errors.Add(new("objective.metric", $"{metric} needs a validation split: set base.dataset.validation_fraction > 0"));
        }
        bool maximize = spec.Goal switch
        {
            ObjectiveSpec.Types.Goal.Maximize => true,
            ObjectiveSpec.Types.Goal.Minimize => false,
            _ => SweepObjective.MaximizesByDefault(metric),
        };
        return new SweepObjective(metric, maximize);
    }

    private static int CheckTrials(SweepSpec spec, SweepSpec.Types.Sampler sampler, List<SweepParameter> parameters, List<ValidationError> errors)
    {
        if (spec.MaxTrials < 0)
        {
            errors.Add(new("max_trials", $"must be > 0, got {spec.MaxTrials}"));
            return 0;
        }
        if (sampler != SweepSpec.Types.Sampler.Grid)
        {
            if (spec.MaxTrials == 0)
            {
                errors.Add(new("max_trials", $"required (> 0) with the {sampler} sampler"));
            }
            return spec.MaxTrials;
        }
        for (int i = 0; i < spec.Parameters.Count; i++)
        {
            var domain = spec.Parameters[i].DomainCase;
            if (domain is not (ParameterSpec.DomainOneofCase.Grid or ParameterSpec.DomainOneofCase.Choice or ParameterSpec.DomainOneofCase.None))
            {
                errors.Add(new($"parameters[{i}]", $"the GRID sampler needs listed values (grid or choice), got {DomainName(domain)}"));
            }
        }
        long points = GridSampler.Size(parameters);
        if (spec.MaxTrials == 0)
        {
            return (int)Math.Min(points, int.MaxValue);
        }
        if (points > spec.MaxTrials)
        {
            errors.Add(new("max_trials", $"the grid has {points} points, more than max_trials {spec.MaxTrials}; raise max_trials or list fewer values"));
        }
        return (int)Math.Min(points, spec.MaxTrials);
    }

    private static TrialSchedulerSettings CheckScheduler(SchedulerSpec spec, int epochs, List<ValidationError> errors)
    {
        var kind = spec.Kind == SchedulerSpec.Types.Kind.Unspecified ? SchedulerSpec.Types.Kind.None : spec.Kind;
        int grace = spec.GracePeriod == 0 ? 1 : spec.GracePeriod;
        int reduction = spec.ReductionFactor == 0 ? 3 : spec.ReductionFactor;
        int maxEpochs = spec.MaxEpochs == 0 ? epochs : spec.MaxEpochs;
        int minTrials = spec.MinTrials == 0 ? 3 : spec.MinTrials;
        if (kind == SchedulerSpec.Types.Kind.None)
        {
            return new TrialSchedulerSettings(kind, grace, reduction, epochs, minTrials);
        }
        if (grace < 1)
        {
            errors.Add(new("scheduler.grace_period", $"must be > 0, got {spec.GracePeriod}"));
        }
        if (kind == SchedulerSpec.Types.Kind.Asha)
        {
            if (reduction < 2)
            {
                errors.Add(new("scheduler.reduction_factor", $"must be >= 2, got {spec.ReductionFactor}"));
            }
            if (maxEpochs < 1 || maxEpochs > epochs)
            {
                errors.Add(new("scheduler.max_epochs", $"must be in [1, base.epochs = {epochs}], got {maxEpochs}"));
            }
            else if (grace > maxEpochs)
            {
                errors.Add(new("scheduler.grace_period", $"must be <= max_epochs ({maxEpochs}), got {grace}"));
            }
        }
        else if (minTrials < 1)
        {
            errors.Add(new("scheduler.min_trials", $"must be > 0, got {spec.MinTrials}"));
        }
        return new TrialSchedulerSettings(kind, grace, reduction, kind == SchedulerSpec.Types.Kind.Asha ? maxEpochs : epochs, minTrials);
    }

    private static string DomainName(ParameterSpec.DomainOneofCase domain) => domain switch
    {
        ParameterSpec.DomainOneofCase.Uniform => "uniform",
        ParameterSpec.DomainOneofCase.LogUniform => "log_uniform",
        ParameterSpec.DomainOneofCase.IntUniform => "int_uniform",
        ParameterSpec.DomainOneofCase.Choice => "choice",
        ParameterSpec.DomainOneofCase.Grid => "grid",
        _ => "none",
    };

    private static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Join(string prefix, string path) => path.Length == 0 ? prefix : $"{prefix}.{path}";
}
