namespace DistributedTrainer.Numerics.Initializers;

/// <summary>
/// Fills a tensor with initial values. Weights are (fanOut, fanIn) row-major, PyTorch's dense layout; a bias
/// or a vector passes fanIn = fanOut = its length.
/// </summary>
public abstract class Initializer
{
    /// <summary>destination (fanOut, fanIn) &lt;- initial values drawn from <paramref name="random"/>.</summary>
    public abstract void Fill(Span<float> destination, int fanIn, int fanOut, Random random);
}
