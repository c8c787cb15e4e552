using ILGPU;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// <see cref="Training.FixedPointAccumulator"/>'s conversion on the device: sum += round(value * 2^32) with ties to even
/// for |value| &lt; 2^24, else the element is an offender. Done in integer arithmetic on the float's bits, so it is exact
/// on every backend whatever its floating-point contractions: a device worker sends the very integers a CPU worker sends
/// for the same float gradients.
/// </summary>
internal static class FixedPointKernels
{
    // Exponent field of 2^24: a value with this exponent or above is out of range (NaN and infinity included).
    private const int LimitExponent = 127 + 24;

    // values (N) -> sums (N) += round(values * 2^32); offenders[slot] = min(offenders[slot], i) for each offender i
    public static void Add(Index1D i, ArrayView<long> sums, ArrayView<int> offenders, ArrayView<float> values, int slot)
    {
        uint bits = Interop.FloatAsInt(values[i]);
        int exponent = (int)((bits >> 23) & 0xFF);
        if (exponent >= LimitExponent)
        {
            Atomic.Min(ref offenders[slot], i);
            return;
        }
        sums[i] += ToFixedPoint(bits, exponent);
    }

    /// <summary>round(value * 2^32) for a float below 2^24 in magnitude, given its bits and exponent field.</summary>
    public static long ToFixedPoint(uint bits, int exponent)
    {
        // value = mantissa * 2^(exponent - 150) (subnormals: exponent field 0 stands for -149 without the hidden bit),
        // so value * 2^32 = mantissa * 2^shift.
        long mantissa = exponent == 0 ? bits & 0x7FFFFF : (bits & 0x7FFFFF) | 0x800000;
        int shift = (exponent == 0 ? 1 : exponent) - 150 + 32;
        long magnitude;
        if (shift >= 0)
        {
            magnitude = mantissa << shift;
        }
        else if (shift < -25)
        {
            // mantissa < 2^24, so the value is below 2^-2 units: rounds to 0.
            magnitude = 0;
        }
        else
        {
            int right = -shift;
            long quotient = mantissa >> right;
            long remainder = mantissa & ((1L << right) - 1);
            long half = 1L << (right - 1);
            if (remainder > half || (remainder == half && (quotient & 1) == 1))
            {
                quotient++;
            }
            magnitude = quotient;
        }
        return (bits & 0x80000000u) != 0 ? -magnitude : magnitude;
    }
}
