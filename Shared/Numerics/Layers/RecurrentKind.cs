namespace DistributedTrainer.Numerics.Layers;

/// <summary>The cell a <see cref="Recurrent"/> layer runs at each time step (PyTorch's equations and gate order).</summary>
public enum RecurrentKind
{
    /// <summary>Elman RNN: h = tanh(W_ih x + b_ih + W_hh h' + b_hh).</summary>
    RnnTanh,
    /// <summary>Elman RNN with ReLU: h = max(0, W_ih x + b_ih + W_hh h' + b_hh).</summary>
    RnnRelu,
    /// <summary>Long short-term memory, gates i, f, g, o.</summary>
    Lstm,
    /// <summary>Gated recurrent unit, gates r, z, n.</summary>
    Gru,
}
