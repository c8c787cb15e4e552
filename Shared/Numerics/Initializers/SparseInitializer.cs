namespace DistributedTrainer.Numerics.Initializers;

/// <summary>
/// Sparse initialization (Martens 2010): each output unit (row) gets exactly <see cref="NonZeroPerUnit"/> inputs
/// drawn from N(0, std²) at distinct random columns, the rest zero. Unlike PyTorch's <c>sparse_</c>, which zeroes
/// a fraction of each column, the count per unit is exact, so every unit sees the same input scale.
/// Matrices only.
/// </summary>
public sealed class SparseInitializer : Initializer
{
    /// <summary>Standard deviation when the job spec leaves it unset (PyTorch <c>sparse_</c>'s default).</summary>
    public const float DefaultStd = 0.01f;

    /// <param name="nonZeroPerUnit">Non-zero inputs per output unit, >= 1 and at most fanIn (checked at fill time).</param>
    /// <param name="std">Standard deviation of the non-zero values, finite and > 0; default 0.01.</param>
    public SparseInitializer(int nonZeroPerUnit, float std = DefaultStd)
    {
        if (nonZeroPerUnit < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(nonZeroPerUnit), $"Invalid nonZeroPerUnit: {nonZeroPerUnit} (must be >= 1)");
        }
        NonZeroPerUnit = nonZeroPerUnit;
        Std = InitializerArguments.Positive(std, nameof(std));
    }

    /// <summary>Non-zero inputs per output unit.</summary>
    public int NonZeroPerUnit { get; }

    /// <summary>Standard deviation of the non-zero values.</summary>
    public float Std { get; }

    /// <inheritdoc />
    public override void Fill(Span<float> destination, int fanIn, int fanOut, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        InitializerArguments.ValidateMatrix("sparse", destination, fanIn, fanOut);
        if (NonZeroPerUnit > fanIn)
        {
            throw new ArgumentOutOfRangeException(nameof(fanIn),
                $"Invalid nonZeroPerUnit: {NonZeroPerUnit} (must be <= fanIn {fanIn})");
        }

        // destination (fanOut, fanIn)
        destination.Clear();
        var columns = Enumerable.Range(0, fanIn).ToArray();
        var values = new float[NonZeroPerUnit];
        for (int row = 0; row < fanOut; row++)
        {
            // A partial Fisher–Yates shuffle picks a uniform k-subset from any arrangement, so the permutation
            // left by the previous row needs no reset.
            for (int j = 0; j < NonZeroPerUnit; j++)
            {
                int pick = random.Next(j, fanIn);
                (columns[j], columns[pick]) = (columns[pick], columns[j]);
            }
            RandomFill.Normal(values, 0.0, Std, random);
            var weights = destination.Slice(row * fanIn, fanIn);
            for (int j = 0; j < NonZeroPerUnit; j++)
            {
                weights[columns[j]] = values[j];
            }
        }
    }
}
