using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace DistributedTrainer.Coordinator.Sweeps;

/// <summary>Sweep ids: <c>s-</c> and 12 lowercase hex digits; safe as a directory name.</summary>
internal static partial class SweepIds
{
    public static string New() => "s-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>True for ids this coordinator could have made.</summary>
    public static bool IsWellFormed(string sweepId) => Pattern().IsMatch(sweepId);

    [GeneratedRegex("^s-[0-9a-f]{12}$")]
    private static partial Regex Pattern();
}
