namespace DistributedTrainer.Numerics.Initializers;

/// <summary>Argument checks shared by the initializers, so each names the same values in the same words.</summary>
internal static class InitializerArguments
{
    /// <summary>
    /// Throws unless the fans are positive and the destination is the (fanOut, fanIn) matrix, or a vector of
    /// length fanIn = fanOut (a bias).
    /// </summary>
    public static void ValidateShape(string initializer, ReadOnlySpan<float> destination, int fanIn, int fanOut)
    {
        ValidateFans(initializer, fanIn, fanOut);
        if (destination.Length != (long)fanIn * fanOut && !(fanIn == fanOut && destination.Length == fanIn))
        {
            throw new ArgumentException(
                $"Invalid destination length for {initializer}: {destination.Length} (must be fanOut {fanOut} × fanIn {fanIn} = {(long)fanIn * fanOut}, or fanIn = fanOut = length for a vector)",
                nameof(destination));
        }
    }

    /// <summary>Throws unless the fans are positive and the destination is exactly the (fanOut, fanIn) matrix.</summary>
    public static void ValidateMatrix(string initializer, ReadOnlySpan<float> destination, int fanIn, int fanOut)
    {
        ValidateFans(initializer, fanIn, fanOut);
        if (destination.Length != (long)fanIn * fanOut)
        {
            throw new ArgumentException(
                $"Invalid destination length for {initializer}: {destination.Length} (must be fanOut {fanOut} × fanIn {fanIn} = {(long)fanIn * fanOut}; it fills matrices only)",
                nameof(destination));
        }
    }

    /// <summary>Returns <paramref name="value"/> when it is finite and > 0.</summary>
    public static float Positive(float value, string name)
    {
        if (!float.IsFinite(value) || value <= 0f)
        {
            throw new ArgumentOutOfRangeException(name, $"Invalid {name}: {value} (must be finite and > 0)");
        }
        return value;
    }

    /// <summary>Returns <paramref name="value"/> when it is finite.</summary>
    public static float Finite(float value, string name)
    {
        if (!float.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, $"Invalid {name}: {value} (must be finite)");
        }
        return value;
    }

    /// <summary>Returns <paramref name="mode"/> when it is a defined value.</summary>
    public static FanMode Defined(FanMode mode)
    {
        if (mode is not (FanMode.FanIn or FanMode.FanOut))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), $"Invalid fanMode: {mode} (must be FanIn or FanOut)");
        }
        return mode;
    }

    /// <summary>The fan that <paramref name="mode"/> selects.</summary>
    public static int Fan(FanMode mode, int fanIn, int fanOut) => mode == FanMode.FanIn ? fanIn : fanOut;

    private static void ValidateFans(string initializer, int fanIn, int fanOut)
    {
        if (fanIn < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(fanIn), $"Invalid fanIn for {initializer}: {fanIn} (must be >= 1)");
        }
        if (fanOut < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(fanOut), $"Invalid fanOut for {initializer}: {fanOut} (must be >= 1)");
        }
    }
}
