using DistributedTrainer.Numerics.Layers;

namespace DistributedTrainer.Training.Adversarial;

/// <summary>Generated samples to show as images.</summary>
/// <param name="Values">Count rows of <see cref="ImageShape.Size"/> floats (C, H, W each).</param>
/// <param name="Count">Samples.</param>
/// <param name="Shape">The image one sample holds.</param>
/// <param name="Low">The value shown black (the training data's minimum).</param>
/// <param name="High">The value shown white (the training data's maximum).</param>
public sealed record SampleGrid(float[] Values, int Count, ImageShape Shape, float Low, float High);
