using DistributedTrainer.Data;
using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training;

/// <summary>
/// A spec and its data, checked: parsing, field validation (files included), loading the data set, then the
/// shape checks that need the data's feature and class counts. Every failure is a <see cref="JobInputException"/>
/// whose message names the field and the reason.
/// </summary>
public sealed record JobInput(JobSpec Spec, LoadedData Data)
{
    /// <summary>Loads and checks the spec file at <paramref name="specPath"/>, overriding its epochs when given.</summary>
    public static JobInput Load(string specPath, int? epochs = null, JobLimits? limits = null)
    {
        JobSpec spec;
        try
        {
            spec = JobSpecLoader.LoadFile(specPath);
        }
        catch (JobSpecException invalid)
        {
            throw new JobInputException(invalid.Message, invalid);
        }
        catch (FileNotFoundException missing)
        {
            throw new JobInputException($"spec: file not found: {missing.FileName ?? specPath}", missing);
        }
        if (spec.Name.Length == 0)
        {
            spec.Name = Path.GetFileNameWithoutExtension(specPath);
        }
        if (epochs is { } override_)
        {
            spec.Epochs = override_;
        }
        return FromSpec(spec, limits);
    }

    /// <summary>Checks <paramref name="spec"/> and loads its data.</summary>
    public static JobInput FromSpec(JobSpec spec, JobLimits? limits = null)
    {
        limits ??= JobLimits.Default;
        Throw(JobSpecValidator.Validate(spec, limits));
        LoadedData data;
        try
        {
            data = DatasetLoader.Load(spec.Dataset, spec.Seed);
        }
        catch (Exception failure) when (failure is IOException or InvalidDataException)
        {
            throw new JobInputException(failure.Message, failure);
        }
        Throw(JobSpecValidator.Validate(spec, limits, new DataShape(data.FeatureCount, data.ClassCount) { Targets = data.Train.TargetKind }));
        return new JobInput(spec, data);
    }

    private static void Throw(ValidationResult result)
    {
        if (!result.IsValid)
        {
            throw new JobInputException(result.ToString());
        }
    }
}

/// <summary>A spec or its data is invalid; the message names the field and the reason.</summary>
public sealed class JobInputException : Exception
{
    public JobInputException(string message) : base(message)
    {
    }

    public JobInputException(string message, Exception inner) : base(message, inner)
    {
    }

    public JobInputException()
    {
    }
}
