using System.Diagnostics;

namespace DistributedTrainer.Training;

/// <summary>
/// What the trainer will do around the step it asks for next (<see cref="IGradientBackend.Plan"/>), so that a backend
/// may start the step after it before that step's update is made.
/// </summary>
/// <param name="LearningRate">The learning rate of the step's update.</param>
/// <param name="Following">
/// The batch of the step after it, when the trainer's next call after the step's update is
/// <see cref="IGradientBackend.ComputeAsync"/> of that step with this batch; empty when anything else may come
/// between (an evaluation at the epoch's end, the end of the run).
/// </param>
/// <param name="AfterFollowing">The batch after that one, for reading ahead; empty when not known.</param>
/// <param name="StartFollowingSpan">
/// Starts the span of the following step (<see cref="Diagnostics.TrainingDiagnostics.StartStepAhead"/>) for a backend
/// that starts that step early; the trainer takes the span up when it runs the step.
/// </param>
public sealed record StepPlan(float LearningRate, ReadOnlyMemory<int> Following, ReadOnlyMemory<int> AfterFollowing,
    Func<Activity?> StartFollowingSpan);
