namespace DistributedTrainer.Training;

/// <summary>How one parameter tensor fared in a step: the size of its gradient and of its update.</summary>
/// <param name="Name">The tensor's full name, e.g. <c>fc1.weight</c>.</param>
/// <param name="GradientNorm">L2 norm of its averaged gradient, before clipping.</param>
/// <param name="UpdateRatio">||new - old|| / max(||old||, ||new||) of its values: around 1e-3 is typical; far above
/// means too high a learning rate, far below a stalled layer. 0 for a tensor that did not move (frozen); 1 for one
/// that moved away from all zeros.</param>
public readonly record struct TensorHealth(string Name, double GradientNorm, double UpdateRatio);
