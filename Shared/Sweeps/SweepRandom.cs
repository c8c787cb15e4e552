namespace DistributedTrainer.Sweeps;

/// <summary>
/// Independent random streams keyed by (seed, trial, stream) with SplitMix64 mixing, so a trial's draws depend on
/// nothing but those three numbers (not on how many draws other trials made, nor on their order).
/// </summary>
internal static class SweepRandom
{
    /// <summary>A generator for trial <paramref name="trial"/>'s stream <paramref name="stream"/> under <paramref name="seed"/>.</summary>
    public static Random For(ulong seed, int trial, int stream)
    {
        ulong mixed = Mix(Mix(Mix(seed) ^ (ulong)trial) ^ ((ulong)stream << 32));
        // System.Random with an explicit seed keeps its algorithm across .NET versions.
        return new Random((int)(mixed & int.MaxValue));
    }

    /// <summary>A uniform draw from the parameter's domain: the number for a range, the value's index for a categorical one.</summary>
    public static double Draw(SweepParameter parameter, Random random) => parameter.Kind switch
    {
        ParameterKind.Uniform => parameter.Min + (random.NextDouble() * (parameter.Max - parameter.Min)),
        ParameterKind.LogUniform => Math.Exp(Math.Log(parameter.Min) + (random.NextDouble() * (Math.Log(parameter.Max) - Math.Log(parameter.Min)))),
        ParameterKind.IntUniform => Math.Min(parameter.Max, Math.Floor(parameter.Min + (random.NextDouble() * (parameter.Max - parameter.Min + 1)))),
        _ => random.Next(parameter.Values.Count),
    };

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
