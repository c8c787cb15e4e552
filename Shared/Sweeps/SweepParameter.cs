using Google.Protobuf.WellKnownTypes;

namespace DistributedTrainer.Sweeps;

/// <summary>How a parameter's values are drawn (the <c>ParameterSpec.domain</c> member set).</summary>
public enum ParameterKind
{
    /// <summary>Uniform in [min, max].</summary>
    Uniform,

    /// <summary>Uniform in log space over [min, max].</summary>
    LogUniform,

    /// <summary>A uniform integer in [min, max].</summary>
    IntUniform,

    /// <summary>One of a list of values.</summary>
    Choice,

    /// <summary>A list of values the GRID sampler enumerates.</summary>
    Grid,
}

/// <summary>
/// One validated parameter of a sweep: the field it writes and its domain. <see cref="Min"/> and <see cref="Max"/>
/// hold the range of the range kinds; <see cref="Values"/> the values of <see cref="ParameterKind.Choice"/> and
/// <see cref="ParameterKind.Grid"/> (empty otherwise).
/// </summary>
public sealed record SweepParameter(ParameterPath Path, ParameterKind Kind, double Min, double Max, IReadOnlyList<Value> Values)
{
    /// <summary>True for choice and grid: a finite list of values.</summary>
    public bool IsCategorical => Kind is ParameterKind.Choice or ParameterKind.Grid;

    /// <summary>The value for a draw: the number for a range, the listed value for a categorical parameter (<paramref name="draw"/> its index).</summary>
    public Value ValueOf(double draw) => IsCategorical
        ? Values[(int)draw]
        : Value.ForNumber(Kind == ParameterKind.IntUniform || FieldValues.IsInteger(Path.Field) ? Math.Round(draw, MidpointRounding.AwayFromZero) : draw);
}
