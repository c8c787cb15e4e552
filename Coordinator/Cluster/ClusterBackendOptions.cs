namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// Deadlines and credentials of a <see cref="ClusterGradientBackend"/>'s calls to its workers. A step's deadline is
/// not here: it follows the job's pace (<see cref="Training.StepDeadlines"/>, the spec's fault_tolerance).
/// </summary>
internal sealed record ClusterBackendOptions
{
    /// <summary>PrepareJob, which loads the job's data on the worker (default 2 min).</summary>
    public TimeSpan PrepareTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>One Evaluate call over a worker's run of chunks (default 2 min).</summary>
    public TimeSpan EvaluateTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>StopJob when the backend is disposed; best effort (default 2 s).</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Whether a step's micro-shards follow each worker's measured throughput (default true); false splits them evenly,
    /// the comparison for <c>Bench -- straggler</c>. Results are bitwise the same either way.
    /// </summary>
    public bool BalanceByThroughput { get; init; } = true;

    /// <summary>The cluster token the workers require (their --cluster-token); null sends none.</summary>
    public string? Token { get; init; }

    /// <summary>Throws when a deadline is not positive.</summary>
    public void Validate()
    {
        foreach (var (name, value) in new[] { (nameof(PrepareTimeout), PrepareTimeout),
            (nameof(EvaluateTimeout), EvaluateTimeout), (nameof(StopTimeout), StopTimeout) })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentException($"Invalid {name}: {value} (must be positive)");
            }
        }
    }
}
