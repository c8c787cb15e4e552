namespace DistributedTrainer.Training.Collective;

/// <summary>The two halves of a ring all-reduce.</summary>
public enum CollectivePhase
{
    /// <summary>Each rank adds the pieces it receives; afterwards rank i holds the fully reduced segment i.</summary>
    ReduceScatter = 1,

    /// <summary>Each rank copies the pieces it receives; afterwards every rank holds every segment.</summary>
    AllGather = 2,
}
