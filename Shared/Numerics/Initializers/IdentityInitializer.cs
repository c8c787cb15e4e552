namespace DistributedTrainer.Numerics.Initializers;

/// <summary>
/// gain on the main diagonal, zero elsewhere (PyTorch <c>eye_</c> times gain): the identity for a square matrix,
/// the first min(fanIn, fanOut) inputs passed through for a rectangular one. Matrices only.
/// </summary>
public sealed class IdentityInitializer : Initializer
{
    /// <param name="gain">Diagonal value, finite and > 0; default 1.</param>
    public IdentityInitializer(float gain = 1f)
    {
        Gain = InitializerArguments.Positive(gain, nameof(gain));
    }

    /// <summary>Diagonal value.</summary>
    public float Gain { get; }

    /// <inheritdoc />
    public override void Fill(Span<float> destination, int fanIn, int fanOut, Random random)
    {
        InitializerArguments.ValidateMatrix("identity", destination, fanIn, fanOut);
        // destination (fanOut, fanIn)
        destination.Clear();
        int diagonal = Math.Min(fanIn, fanOut);
        for (int i = 0; i < diagonal; i++)
        {
            destination[i * fanIn + i] = Gain;
        }
    }
}
