using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>
/// <see cref="CoordinatorRestartStressTests"/> runs alone: its spinning threads would slow every other test, and the
/// other tests' load would make its timing meaningless.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CoordinatorRestartStressCollection
{
    public const string Name = "CoordinatorRestartStress";
}
