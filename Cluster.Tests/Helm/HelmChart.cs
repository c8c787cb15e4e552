using System.Diagnostics;
using DistributedTrainer.Tests.Jobs;
using k8s;
using Xunit;

namespace DistributedTrainer.Tests.Helm;

/// <summary>Renders helm/distributed-trainer with the helm that .ci/chart-tools installs.</summary>
internal static class HelmChart
{
    /// <summary>The release name every render uses; object names start with it.</summary>
    public const string Release = "trainer";

    /// <summary>The chart's directory in the repository.</summary>
    public static string Directory { get; } = Path.Combine(RepositoryRoot.Directory, "helm", "distributed-trainer");

    /// <summary>Where .ci/chart-tools puts helm: under DT_CHART_TOOLS, else ~/.cache/distributed-trainer/chart-tools.</summary>
    public static string HelmPath { get; } = Path.Combine(ToolsDirectory(), "bin", "helm");

    /// <summary>The value sets CI renders (helm/distributed-trainer/ci/*.yaml), by file name.</summary>
    public static TheoryData<string> CiValueSets()
    {
        var sets = new TheoryData<string>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Path.Combine(Directory, "ci"), "*.yaml").Order(StringComparer.Ordinal))
        {
            sets.Add(Path.GetFileName(path));
        }
        return sets;
    }

    /// <summary>
    /// Renders with the CI value set <paramref name="ciValues"/> and <c>--set</c> pairs, and loads every object with
    /// KubernetesClient's strict loader, which refuses a field its model does not have.
    /// </summary>
    /// <exception cref="InvalidOperationException">helm refused to render; the message holds its error.</exception>
    public static RenderedChart Render(string ciValues, params string[] sets)
    {
        var (exitCode, output, error) = Template(Path.Combine(Directory, "ci", ciValues), sets);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"helm template -f ci/{ciValues} failed ({exitCode}): {error}");
        }
        return new RenderedChart(KubernetesYaml.LoadAllFromString(output, strict: true));
    }

    /// <summary>Runs <c>helm template</c> over one values file; returns its exit code, stdout and stderr.</summary>
    public static (int ExitCode, string Output, string Error) Template(string valuesFile, params string[] sets)
    {
        var start = new ProcessStartInfo(HelmPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "template", Release, Directory, "--namespace", "training", "-f", valuesFile })
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var set in sets)
        {
            start.ArgumentList.Add("--set");
            start.ArgumentList.Add(set);
        }
        using var helm = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {HelmPath}");
        var error = helm.StandardError.ReadToEndAsync();
        string output = helm.StandardOutput.ReadToEnd();
        helm.WaitForExit();
        return (helm.ExitCode, output, error.Result);
    }

    private static string ToolsDirectory()
    {
        string? configured = Environment.GetEnvironmentVariable("DT_CHART_TOOLS");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }
        string? cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        return Path.Combine(string.IsNullOrEmpty(cache) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : cache,
            "distributed-trainer", "chart-tools");
    }
}
