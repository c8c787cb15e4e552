namespace DistributedTrainer.Training;

/// <summary>
/// Sums float vectors exactly by converting each one to 64-bit fixed point before adding. Integer addition is
/// associative, so the total does not depend on which worker added which vector or in what order: the key
/// to bitwise-identical training on any number of workers.
/// </summary>
/// <remarks>
/// Resolution is 2^-32 (2.3e-10) per added element and each added element must be below 2^24 in magnitude;
/// with at most 128 additions per element the sum cannot overflow. A value outside the range, NaN or
/// infinity marks the sum as not finite: the step is then skipped like any non-finite gradient.
/// </remarks>
public sealed class FixedPointAccumulator
{
    /// <summary>Fixed-point units per 1.0.</summary>
    public const double Scale = 4294967296.0;

    private const double Limit = 16777216.0;

    private readonly long[] _sum;

    public FixedPointAccumulator(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _sum = new long[length];
    }

    /// <summary>Number of elements.</summary>
    public int Length => _sum.Length;

    /// <summary>The raw fixed-point sums, for sending over the wire and adding on another process.</summary>
    public Span<long> Values => _sum;

    /// <summary>False once any added element was NaN, infinite or out of range.</summary>
    public bool IsFinite { get; private set; } = true;

    /// <summary>Index of the first offending element when <see cref="IsFinite"/> is false; -1 otherwise.</summary>
    public int FirstNonFiniteIndex { get; private set; } = -1;

    /// <summary>Resets to zero and finite.</summary>
    public void Clear()
    {
        Array.Clear(_sum);
        IsFinite = true;
        FirstNonFiniteIndex = -1;
    }

    /// <summary>sum += round(values * 2^32), element by element.</summary>
    public void Add(ReadOnlySpan<float> values)
    {
        CheckLength(values.Length);
        for (int i = 0; i < values.Length; i++)
        {
            double scaled = values[i] * Scale;
            // NaN fails every comparison, so it lands in the else branch too.
            if (Math.Abs(values[i]) < Limit)
            {
                _sum[i] += (long)Math.Round(scaled, MidpointRounding.ToEven);
            }
            else
            {
                MarkNonFinite(i);
            }
        }
    }

    /// <summary>sum += other, for partial sums that arrive from other processes.</summary>
    public void Add(ReadOnlySpan<long> other, bool otherIsFinite = true)
    {
        CheckLength(other.Length);
        for (int i = 0; i < other.Length; i++)
        {
            _sum[i] += other[i];
        }
        if (!otherIsFinite)
        {
            MarkNonFinite(0);
        }
    }

    /// <summary>destination = sum * multiplier / 2^32, in double precision and rounded once to float.</summary>
    public void CopyTo(Span<float> destination, double multiplier = 1.0)
    {
        CheckLength(destination.Length);
        double factor = multiplier / Scale;
        for (int i = 0; i < _sum.Length; i++)
        {
            destination[i] = (float)(_sum[i] * factor);
        }
    }

    private void MarkNonFinite(int index)
    {
        if (IsFinite)
        {
            IsFinite = false;
            FirstNonFiniteIndex = index;
        }
    }

    private void CheckLength(int length)
    {
        if (length != _sum.Length)
        {
            throw new ArgumentException($"Accumulator holds {_sum.Length} elements; got a vector of {length}.");
        }
    }
}
