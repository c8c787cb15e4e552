namespace DistributedTrainer.Client.Local;

/// <summary>A child of `trainctl local` failed to start or died; the message names it and quotes its stderr.</summary>
internal sealed class ChildProcessException(string message) : Exception(message);
