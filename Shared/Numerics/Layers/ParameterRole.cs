namespace DistributedTrainer.Numerics.Layers;

/// <summary>What a parameter tensor is for; decides whether L1/L2 and weight decay apply to it.</summary>
public enum ParameterRole
{
    /// <summary>A weight matrix: regularized and decayed.</summary>
    Weight,
    /// <summary>A bias: never regularized or decayed.</summary>
    Bias,
    /// <summary>A normalization scale or a learned activation slope: never regularized or decayed.</summary>
    Scale,
}
