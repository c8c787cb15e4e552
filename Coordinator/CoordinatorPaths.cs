namespace DistributedTrainer.Coordinator;

/// <summary>The layout of the state directory: <c>jobs/&lt;id&gt;/job.json</c>, <c>sweeps/&lt;id&gt;/sweep.json</c>, <c>checkpoints/</c>, <c>metrics.csv</c>, <c>curves.svg</c>.</summary>
internal sealed class CoordinatorPaths(string stateDirectory)
{
    public const string JobFileName = "job.json";

    public string StateDirectory { get; } = Path.GetFullPath(stateDirectory);

    public string JobsDirectory => Path.Combine(StateDirectory, "jobs");

    public string JobDirectory(string jobId) => Path.Combine(JobsDirectory, jobId);

    public string JobFile(string jobId) => Path.Combine(JobDirectory(jobId), JobFileName);

    public const string SweepFileName = "sweep.json";

    public string SweepsDirectory => Path.Combine(StateDirectory, "sweeps");

    public string SweepFile(string sweepId) => Path.Combine(SweepsDirectory, sweepId, SweepFileName);

    public string CheckpointDirectory(string jobId) => Path.Combine(JobDirectory(jobId), "checkpoints");
}
