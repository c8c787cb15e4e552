namespace DistributedTrainer.Coordinator.Services;

/// <summary>
/// What one Jobs API caller may hold at a time, so that one client cannot fill the queue, the memory or the
/// connections of a shared coordinator. A caller is its bearer token, or its address when it presents none.
/// </summary>
internal sealed record CallerLimits
{
    /// <summary>The defaults: 100 unfinished jobs, 256 open watches, 4 MiB of specs.</summary>
    public static CallerLimits Default { get; } = new();

    /// <summary>Most jobs not yet finished (queued, waiting for workers or running) per caller (<c>--max-queued-jobs</c>). Default 100.</summary>
    public int MaxQueuedJobs { get; init; } = 100;

    /// <summary>Most WatchJob streams open at once per caller (<c>--max-watches</c>). Default 256.</summary>
    public int MaxWatches { get; init; } = 256;

    /// <summary>
    /// Most bytes of specs (their protobuf encoding) of one caller's unfinished jobs together, the new one included
    /// (<c>--max-spec-bytes</c>). Default 4 MiB.
    /// </summary>
    public int MaxSpecBytes { get; init; } = 4 * 1024 * 1024;
}
