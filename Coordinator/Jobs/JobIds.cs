using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace DistributedTrainer.Coordinator.Jobs;

/// <summary>Job ids: <c>j-</c> and 12 lowercase hex digits; safe as a directory name.</summary>
internal static partial class JobIds
{
    public static string New() => "j-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>True for ids this coordinator could have made; others are unknown without touching the disk.</summary>
    public static bool IsWellFormed(string jobId) => Pattern().IsMatch(jobId);

    [GeneratedRegex("^j-[0-9a-f]{12}$")]
    private static partial Regex Pattern();
}
