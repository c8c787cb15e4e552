namespace DistributedTrainer.Numerics.Initializers;

/// <summary>Which fan sets the variance of He and LeCun initialization (PyTorch's <c>mode</c>).</summary>
public enum FanMode
{
    /// <summary>Number of inputs: preserves the variance of activations in the forward pass.</summary>
    FanIn,
    /// <summary>Number of outputs: preserves the variance of gradients in the backward pass.</summary>
    FanOut,
}
