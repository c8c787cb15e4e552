namespace DistributedTrainer.Numerics.Schedules;

/// <summary>
/// The learning rate as a function of the optimizer step (from 0). Schedules that react to validation
/// results (reduce-on-plateau) also receive each epoch's validation loss.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>Learning rate for optimizer step <paramref name="step"/> (0-based).</summary>
    public abstract float RateAt(long step);

    /// <summary>Called once per epoch with the validation loss; most schedules ignore it.</summary>
    public virtual void OnEpochEnd(double validationLoss)
    {
    }

    /// <summary>State that must survive a checkpoint (plateau's current factor and counters); empty for pure schedules.</summary>
    public virtual double[] SaveState() => [];

    /// <summary>Restores what <see cref="SaveState"/> returned.</summary>
    public virtual void LoadState(double[] state)
    {
    }
}
