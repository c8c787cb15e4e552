namespace DistributedTrainer.Numerics.Regularization;

/// <summary>Which direction of a monitored metric counts as better.</summary>
public enum MetricGoal
{
    /// <summary>Lower is better (validation loss).</summary>
    Minimize,
    /// <summary>Higher is better (validation accuracy).</summary>
    Maximize,
}
