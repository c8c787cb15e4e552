namespace DistributedTrainer.Numerics.Layers;

/// <summary>What a <see cref="Recurrent"/> layer gives per sample from its top layer's hidden states.</summary>
public enum RecurrentOutput
{
    /// <summary>The final hidden state of each direction (the forward pass's at the last step, the reverse pass's at the first): D·H features.</summary>
    Last,
    /// <summary>The hidden states averaged over the time steps: D·H features.</summary>
    Mean,
    /// <summary>Every step's hidden states, (T, D·H) per sample: many-to-many.</summary>
    Sequence,
}
