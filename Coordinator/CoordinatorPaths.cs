namespace DistributedTrainer.Coordinator;

/// <summary>The layout of the state directory: <c>jobs/&lt;id&gt;/job.json</c>, <c>checkpoints/</c>, <c>metrics.csv</c>, <c>curves.svg</c>.</summary>
internal sealed class CoordinatorPaths(string stateDirectory)
{
    public const string JobFileName = "job.json";

    public string StateDirectory { get; } = Path.GetFullPath(stateDirectory);

    public string JobsDirectory => Path.Combine(StateDirectory, "jobs");

    public string JobDirectory(string jobId) => Path.Combine(JobsDirectory, jobId);

    public string JobFile(string jobId) => Path.Combine(JobDirectory(jobId), JobFileName);

    public string CheckpointDirectory(string jobId) => Path.Combine(JobDirectory(jobId), "checkpoints");
}
