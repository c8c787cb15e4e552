using System.Globalization;

namespace DistributedTrainer.Numerics.Optimizers;

/// <summary>Range checks for hyperparameters; messages name the field as the job spec spells it.</summary>
internal static class OptionCheck
{
    /// <summary>Finite and &gt;= 0.</summary>
    public static void AtLeastZero(string name, float value)
    {
        if (!(value >= 0f && float.IsFinite(value)))
        {
            throw Invalid(name, value, "must be finite and >= 0");
        }
    }

    /// <summary>Finite and &gt; 0.</summary>
    public static void AboveZero(string name, float value)
    {
        if (!(value > 0f && float.IsFinite(value)))
        {
            throw Invalid(name, value, "must be finite and > 0");
        }
    }

    /// <summary>In [0, 1): decay rates and momentum.</summary>
    public static void UnitInterval(string name, float value)
    {
        if (!(value >= 0f && value < 1f))
        {
            throw Invalid(name, value, "must be in [0, 1)");
        }
    }

    public static ArgumentException Invalid(string name, float value, string reason) =>
        new($"Invalid {name}: {value.ToString(CultureInfo.InvariantCulture)} ({reason})");
}
