using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
/// The conversions run on the widest vectors the machine accelerates; every width gives bitwise the same sums
/// as the scalar loop (float to double and the scaling by 2^32 are exact, rounding is to nearest even in
/// both, and a vector holding an offending element is redone element by element).
/// </remarks>
public sealed class FixedPointAccumulator
{
    /// <summary>Fixed-point units per 1.0.</summary>
    public const double Scale = 4294967296.0;

    private const double Limit = 16777216.0;

    private readonly Memory<long> _sum;

    public FixedPointAccumulator(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _sum = new long[length];
    }

    /// <summary>
    /// Sums held in <paramref name="storage"/>, which this clears: a slice of a larger vector, so that a worker's sums
    /// already lie where its ring reduces them, with no copy.
    /// </summary>
    public FixedPointAccumulator(Memory<long> storage)
    {
        _sum = storage;
        _sum.Span.Clear();
    }

    /// <summary>Number of elements.</summary>
    public int Length => _sum.Length;

    /// <summary>The raw fixed-point sums, for sending over the wire and adding on another process.</summary>
    public Span<long> Values => _sum.Span;

    /// <summary>False once any added element was NaN, infinite or out of range.</summary>
    public bool IsFinite { get; private set; } = true;

    /// <summary>
    /// Lowest index of an offending element in any added vector when <see cref="IsFinite"/> is false; -1 otherwise.
    /// </summary>
    public int FirstNonFiniteIndex { get; private set; } = -1;

    /// <summary>Resets to zero and finite.</summary>
    public void Clear()
    {
        _sum.Span.Clear();
        IsFinite = true;
        FirstNonFiniteIndex = -1;
    }

    /// <summary>sum += round(values * 2^32), element by element.</summary>
    public void Add(ReadOnlySpan<float> values) => Add(values, FixedPointWidths.Best);

    /// <summary>As <see cref="Add(ReadOnlySpan{float})"/> on vectors of <paramref name="width"/> (tests pin each one).</summary>
    internal void Add(ReadOnlySpan<float> values, FixedPointWidth width)
    {
        CheckLength(values.Length);
        // values (N) -> sum (N) += round(values * 2^32)
        ref float source = ref MemoryMarshal.GetReference(values);
        ref long sum = ref MemoryMarshal.GetReference(_sum.Span);
        int length = values.Length;
        int i = 0;
        // Vector512 is accelerated only where AVX-512 DQ is (with F, BW, CD and VL), so the check below never sends a
        // machine down the 256-bit path that the 512-bit one would have served.
        if (width == FixedPointWidth.Vector512 && Vector512.IsHardwareAccelerated && Avx512DQ.IsSupported)
        {
            var limit = Vector512.Create((float)Limit);
            var scale = Vector512.Create((float)Scale);
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var value = Vector512.LoadUnsafe(ref source, (nuint)i);
                // NaN fails the comparison, so a vector holding one takes the scalar path too.
                if (!Vector512.LessThanAll(Vector512.Abs(value), limit))
                {
                    AddScalar(values, i, i + Vector512<float>.Count);
                    continue;
                }
                // Below the limit, value * 2^32 is exact in float, and VCVTPS2QQ with round-to-nearest-even rounds it
                // as Math.Round does in the scalar definition: no widening to double, no separate rounding step.
                var scaled = value * scale;
                ref long target = ref Unsafe.Add(ref sum, i);
                (Vector512.LoadUnsafe(ref target) + Avx512DQ.ConvertToVector512Int64(scaled.GetLower(), FloatRoundingMode.ToEven))
                    .StoreUnsafe(ref target);
                (Vector512.LoadUnsafe(ref target, (nuint)Vector512<long>.Count)
                    + Avx512DQ.ConvertToVector512Int64(scaled.GetUpper(), FloatRoundingMode.ToEven))
                    .StoreUnsafe(ref target, (nuint)Vector512<long>.Count);
            }
        }
        if (width >= FixedPointWidth.Vector256 && Vector256.IsHardwareAccelerated)
        {
            var limit = Vector256.Create((float)Limit);
            var scale = Vector256.Create(Scale);
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var value = Vector256.LoadUnsafe(ref source, (nuint)i);
                if (!Vector256.LessThanAll(Vector256.Abs(value), limit))
                {
                    AddScalar(values, i, i + Vector256<float>.Count);
                    continue;
                }
                var (lower, upper) = Vector256.Widen(value);
                ref long target = ref Unsafe.Add(ref sum, i);
                (Vector256.LoadUnsafe(ref target) + Vector256.ConvertToInt64(Vector256.Round(lower * scale)))
                    .StoreUnsafe(ref target);
                (Vector256.LoadUnsafe(ref target, (nuint)Vector256<double>.Count)
                    + Vector256.ConvertToInt64(Vector256.Round(upper * scale)))
                    .StoreUnsafe(ref target, (nuint)Vector256<double>.Count);
            }
        }
        AddScalar(values, i, length);
    }

    /// <summary>sum += other, for partial sums that arrive from other processes.</summary>
    public void Add(ReadOnlySpan<long> other, bool otherIsFinite = true)
    {
        CheckLength(other.Length);
        TensorPrimitives.Add(_sum.Span, other, _sum.Span);
        if (!otherIsFinite)
        {
            MarkNonFinite(0);
        }
    }

    /// <summary>sum += other.sum; a non-finite other carries its lowest offending index over.</summary>
    public void Add(FixedPointAccumulator other)
    {
        ArgumentNullException.ThrowIfNull(other);
        CheckLength(other.Length);
        TensorPrimitives.Add(_sum.Span, other._sum.Span, _sum.Span);
        if (!other.IsFinite)
        {
            MarkNonFinite(other.FirstNonFiniteIndex);
        }
    }

    /// <summary>destination = sum * multiplier / 2^32, in double precision and rounded once to float.</summary>
    public void CopyTo(Span<float> destination, double multiplier = 1.0) =>
        CopyTo(destination, multiplier, FixedPointWidths.Best);

    /// <summary>As <see cref="CopyTo(Span{float}, double)"/> on vectors of <paramref name="width"/>.</summary>
    internal void CopyTo(Span<float> destination, double multiplier, FixedPointWidth width)
    {
        CheckLength(destination.Length);
        ToFloats(_sum.Span, destination, multiplier, width);
    }

    /// <summary>
    /// destination = sums * multiplier / 2^32 for raw sums held elsewhere (a worker's reduced segment of the ring's
    /// vector): the same floats as <see cref="CopyTo(Span{float}, double)"/> of an accumulator holding those sums.
    /// </summary>
    public static void ToFloats(ReadOnlySpan<long> sums, Span<float> destination, double multiplier) =>
        ToFloats(sums, destination, multiplier, FixedPointWidths.Best);

    /// <summary>As <see cref="ToFloats(ReadOnlySpan{long}, Span{float}, double)"/> on vectors of <paramref name="width"/>.</summary>
    internal static void ToFloats(ReadOnlySpan<long> sums, Span<float> destination, double multiplier, FixedPointWidth width)
    {
        if (sums.Length != destination.Length)
        {
            throw new ArgumentException($"{sums.Length} sums need {sums.Length} floats; got {destination.Length}.", nameof(destination));
        }
        double factor = multiplier / Scale;
        // sums (N) -> destination (N)
        ref long sum = ref MemoryMarshal.GetReference(sums);
        ref float target = ref MemoryMarshal.GetReference(destination);
        int length = sums.Length;
        int i = 0;
        // long to double and double to float round to nearest even in the vector instructions as in the scalar
        // conversions, and the multiply is the same IEEE operation, so every width gives the same floats.
        if (width == FixedPointWidth.Vector512 && Vector512.IsHardwareAccelerated)
        {
            var factorV = Vector512.Create(factor);
            for (; i <= length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var lower = Vector512.ConvertToDouble(Vector512.LoadUnsafe(ref sum, (nuint)i)) * factorV;
                var upper = Vector512.ConvertToDouble(Vector512.LoadUnsafe(ref sum, (nuint)(i + Vector512<double>.Count))) * factorV;
                Vector512.Narrow(lower, upper).StoreUnsafe(ref target, (nuint)i);
            }
        }
        if (width >= FixedPointWidth.Vector256 && Vector256.IsHardwareAccelerated)
        {
            var factorV = Vector256.Create(factor);
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var lower = Vector256.ConvertToDouble(Vector256.LoadUnsafe(ref sum, (nuint)i)) * factorV;
                var upper = Vector256.ConvertToDouble(Vector256.LoadUnsafe(ref sum, (nuint)(i + Vector256<double>.Count))) * factorV;
                Vector256.Narrow(lower, upper).StoreUnsafe(ref target, (nuint)i);
            }
        }
        for (; i < length; i++)
        {
            destination[i] = (float)(sums[i] * factor);
        }
    }

    /// <summary>The scalar definition of <see cref="Add(ReadOnlySpan{float})"/> over elements [start, end).</summary>
    private void AddScalar(ReadOnlySpan<float> values, int start, int end)
    {
        var sums = _sum.Span;
        for (int i = start; i < end; i++)
        {
            // NaN fails every comparison, so it lands in the else branch too.
            if (Math.Abs(values[i]) < Limit)
            {
                sums[i] += (long)Math.Round(values[i] * Scale, MidpointRounding.ToEven);
            }
            else
            {
                MarkNonFinite(i);
            }
        }
    }

    /// <summary>
    /// Marks the sum as not finite because element <paramref name="index"/> of an added vector was, e.g. as
    /// reported by a worker whose partial sum was written into <see cref="Values"/> directly.
    /// </summary>
    public void MarkNonFinite(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        // The lowest offending index, so the report does not depend on the order in which vectors were added.
        if (IsFinite || index < FirstNonFiniteIndex)
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
