namespace DistributedTrainer.Client;

/// <summary>Process exit codes of trainctl, the same for every command.</summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>Anything unexpected.</summary>
    public const int Failure = 1;

    /// <summary>Invalid input: a bad flag, an invalid spec, a missing or malformed data set or checkpoint.</summary>
    public const int InvalidInput = 2;

    /// <summary>The job failed or was cancelled.</summary>
    public const int JobFailed = 3;

    /// <summary>The coordinator could not be reached or refused the credentials.</summary>
    public const int Unreachable = 4;
}
