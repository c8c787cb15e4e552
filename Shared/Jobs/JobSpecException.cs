namespace DistributedTrainer.Jobs;

/// <summary>
/// A job spec that cannot be used: malformed text, unknown fields, wrong value types or failed checks. The loader and
/// <see cref="ValidationResult.ThrowIfInvalid"/> both throw it, so a caller that maps bad input to one status (gRPC
/// INVALID_ARGUMENT) catches one type and finds every error, each with its field path, in <see cref="Errors"/>.
/// </summary>
public sealed class JobSpecException : Exception
{
    /// <summary>
    /// Carries <paramref name="errors"/> (at least one); <paramref name="specFile"/> names the file, if any, and
    /// <paramref name="kind"/> what it specifies ("job spec", "sweep spec").
    /// </summary>
    public JobSpecException(IReadOnlyList<ValidationError> errors, string? specFile = null, string kind = "job spec")
        : base(Describe(errors, specFile, kind))
    {
        Errors = errors;
        SpecFile = specFile;
    }

    /// <summary>Every error found, each with its field path.</summary>
    public IReadOnlyList<ValidationError> Errors { get; }

    /// <summary>The spec file the errors are in; null when the spec did not come from a file.</summary>
    public string? SpecFile { get; }

    private static string Describe(IReadOnlyList<ValidationError> errors, string? specFile, string kind)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Count == 0)
        {
            throw new ArgumentException("A JobSpecException needs at least one error.", nameof(errors));
        }

        var where = specFile is null ? $"Invalid {kind}" : $"Invalid {kind} {specFile}";
        return errors.Count == 1
            ? $"{where}: {errors[0]}"
            : $"{where} ({errors.Count} errors):\n  " + string.Join("\n  ", errors);
    }
}
