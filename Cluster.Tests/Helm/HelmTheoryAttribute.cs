using Xunit;

namespace DistributedTrainer.Tests.Helm;

/// <summary>A theory that is skipped, saying why, where helm is not installed (.ci/chart-tools installs it; .ci/run does).</summary>
public sealed class HelmTheoryAttribute : TheoryAttribute
{
    public HelmTheoryAttribute()
    {
        if (!File.Exists(HelmChart.HelmPath))
        {
            Skip = $"helm is not installed at {HelmChart.HelmPath}: run .ci/chart-tools";
        }
    }
}
