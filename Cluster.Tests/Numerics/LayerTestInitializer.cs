using DistributedTrainer.Numerics.Initializers;

namespace DistributedTrainer.Tests.Numerics;

/// <summary>
/// Test-only initializer: uniform values in [low, high), recording the fans it was called with. Values of
/// order 1 keep finite-difference checks well conditioned.
/// </summary>
internal sealed class LayerTestInitializer(float low = -1f, float high = 1f) : Initializer
{
    /// <summary>(length, fanIn, fanOut) of every call, in order.</summary>
    public List<(int Length, int FanIn, int FanOut)> Calls { get; } = [];

    public override void Fill(Span<float> destination, int fanIn, int fanOut, Random random)
    {
        Calls.Add((destination.Length, fanIn, fanOut));
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = low + (high - low) * random.NextSingle();
        }
    }
}
