namespace DistributedTrainer.Jobs;

/// <summary>Every error found in a job spec, in the order of the spec's fields; empty when the spec is valid.</summary>
public sealed class ValidationResult
{
    /// <summary>Wraps the errors found.</summary>
    public ValidationResult(IReadOnlyList<ValidationError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        Errors = errors;
    }

    /// <summary>The errors, in the order of the spec's fields.</summary>
    public IReadOnlyList<ValidationError> Errors { get; }

    /// <summary>True when no error was found.</summary>
    public bool IsValid => Errors.Count == 0;

    /// <summary>Throws a <see cref="JobSpecException"/> carrying all errors unless the spec is valid.</summary>
    public void ThrowIfInvalid()
    {
        if (!IsValid)
        {
            throw new JobSpecException(Errors);
        }
    }

    /// <summary>One line per error (<c>path: reason</c>), or <c>valid</c>.</summary>
    public override string ToString() => IsValid ? "valid" : string.Join('\n', Errors);
}
