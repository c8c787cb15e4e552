namespace DistributedTrainer.Data;

/// <summary>What to tell a user whose data file is missing: the package that installs it, when one does.</summary>
public static class MissingDataHint
{
    private const string FashionMnistDirectory = "/usr/share/datasets/fashion-mnist/";

    /// <summary>" (install the Debian package ...)" for a file a Debian package provides; empty otherwise.</summary>
    public static string For(string path) =>
        Path.GetFullPath(path).StartsWith(FashionMnistDirectory, StringComparison.Ordinal)
            ? " (install the Debian package dataset-fashion-mnist)"
            : "";
}
