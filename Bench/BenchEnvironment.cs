namespace DistributedTrainer.Bench;

/// <summary>What every benchmark reads from its command line and prints beside its figures.</summary>
internal static class BenchEnvironment
{
    /// <summary>The value after <paramref name="name"/> on the command line; null when absent.</summary>
    public static string? Option(string[] args, string name)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    /// <summary>A comma-separated list of integers from the command line ("1,2,4").</summary>
    public static int[] Ints(string list) => [.. list.Split(',').Select(text => int.Parse(text, System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>The 1, 5 and 15 minute load averages: figures from a shared machine mean little without them.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    /// <summary>The median of <paramref name="values"/>; NaN for none.</summary>
    public static double Median(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
