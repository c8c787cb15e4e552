using Xunit;

namespace DistributedTrainer.Tests.Dashboard;

/// <summary>
/// A fact that is skipped, saying why, where Debian's chromium is not installed (<c>apt-get install chromium</c>;
/// <c>.ci/run</c> installs it): the dashboard's browser tests drive that binary, never a downloaded one.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>Where Debian installs the browser.</summary>
    public const string Executable = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Executable))
        {
            Skip = $"chromium is not installed at {Executable} (apt-get install chromium): the dashboard's browser tests need it";
        }
    }
}
