namespace DistributedTrainer.Numerics.Kernels;

/// <summary>
/// Cache blocking of the packed path (Goto and van de Geijn 2008): a (Kc, Nr) B panel stays in L1 while the
/// (Mc, Kc) packed A block streams from L2, and the (Kc, Nc) packed B block sits in L3.
/// </summary>
internal readonly record struct GemmBlocking(int Kc, int Mc, int Nc)
{
    private const int MaxKc = 384;
    private const int TargetMc = 128;
    private const int TargetNc = 3072;

    /// <summary>
    /// Blocking for depth <paramref name="k"/> and a micro-tile of <paramref name="mr"/> x <paramref name="nr"/>.
    /// Kc splits k into equal blocks (784 becomes 4 x 196, not 384 + 384 + 16) and depends on k alone, so the
    /// order in which each element's sum is formed never depends on the thread count.
    /// </summary>
    public static GemmBlocking For(int k, int mr, int nr)
    {
        int blocks = (k + MaxKc - 1) / MaxKc;
        int kc = Math.Max(1, (k + blocks - 1) / Math.Max(1, blocks));
        return new GemmBlocking(kc, mr * Math.Max(1, TargetMc / mr), nr * Math.Max(1, TargetNc / nr));
    }
}
