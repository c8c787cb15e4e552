namespace DistributedTrainer.Numerics.Initializers;

/// <summary>All zeros: the default for biases.</summary>
public sealed class ZerosInitializer : Initializer
{
    /// <inheritdoc />
    public override void Fill(Span<float> destination, int fanIn, int fanOut, Random random)
    {
        InitializerArguments.ValidateShape("zeros", destination, fanIn, fanOut);
        destination.Clear();
    }
}
