namespace DistributedTrainer.Numerics.Initializers;

/// <summary>Every element equal to one value (PyTorch <c>constant_</c>).</summary>
public sealed class ConstantInitializer : Initializer
{
    /// <param name="value">The value, finite.</param>
    public ConstantInitializer(float value)
    {
        Value = InitializerArguments.Finite(value, nameof(value));
    }

    /// <summary>The value every element gets.</summary>
    public float Value { get; }

    /// <inheritdoc />
    public override void Fill(Span<float> destination, int fanIn, int fanOut, Random random)
    {
        InitializerArguments.ValidateShape("constant", destination, fanIn, fanOut);
        destination.Fill(Value);
    }
}
