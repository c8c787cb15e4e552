using System.Globalization;

namespace DistributedTrainer.Numerics.Schedules;

/// <summary>Range checks for schedule settings; messages name the field as the job spec spells it.</summary>
internal static class ScheduleCheck
{
    /// <summary>Finite and &gt;= 0.</summary>
    public static void AtLeastZero(string name, double value)
    {
        if (!(value >= 0 && double.IsFinite(value)))
        {
            throw Invalid(name, value, "must be finite and >= 0");
        }
    }

    /// <summary>Finite and &gt; 0.</summary>
    public static void AboveZero(string name, double value)
    {
        if (!(value > 0 && double.IsFinite(value)))
        {
            throw Invalid(name, value, "must be finite and > 0");
        }
    }

    /// <summary>A count of steps or epochs &gt; 0.</summary>
    public static void Positive(string name, long value)
    {
        if (value <= 0)
        {
            throw Invalid(name, value, "must be > 0");
        }
    }

    /// <summary>A count of steps or epochs &gt;= 0.</summary>
    public static void NotNegative(string name, long value)
    {
        if (value < 0)
        {
            throw Invalid(name, value, "must be >= 0");
        }
    }

    /// <summary>A decay multiplier in (0, 1].</summary>
    public static void Multiplier(string name, double value)
    {
        if (!(value > 0 && value <= 1))
        {
            throw Invalid(name, value, "must be in (0, 1]");
        }
    }

    public static ArgumentException Invalid(string name, double value, string reason) =>
        new($"Invalid {name}: {value.ToString(CultureInfo.InvariantCulture)} ({reason})");
}
