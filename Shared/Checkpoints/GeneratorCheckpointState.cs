namespace DistributedTrainer.Checkpoints;

/// <summary>The generator's optimizer and schedule in a GAN job's checkpoint manifest.</summary>
/// <param name="OptimizerKind">Optimizer kind as in the spec ("ADAM"), checked before its state is loaded.</param>
/// <param name="OptimizerStepCount">The optimizer's <c>StepCount</c>.</param>
/// <param name="ScheduleState">What the schedule's <c>SaveState</c> returned; empty for pure schedules.</param>
public sealed record GeneratorCheckpointState(string OptimizerKind, long OptimizerStepCount, double[] ScheduleState);
