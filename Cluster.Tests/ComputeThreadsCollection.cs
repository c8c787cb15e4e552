using Xunit;
namespace DistributedTrainer.Tests;

/// <summary>Tests that change the process-wide kernel thread count run one at a time in this collection.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ComputeThreadsCollection
{
    public const string Name = "ComputeThreads";
}
