using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Data;

/// <summary>
/// The directories a server may read job data from (<c>--data-root</c>). A spec path counts as inside a root only
/// after <c>..</c> and every symbolic link on the way have been resolved, so neither <c>root/../etc/passwd</c> nor a
/// link inside a root that points elsewhere gets out. Hard links cannot be told apart from their target: a root
/// should hold data only.
/// </summary>
public sealed class DataRoots
{
    // Linux gives up after 40 links in one path (ELOOP); so does this, and the path is then refused.
    private const int MaxLinks = 40;

    private readonly string[] _roots;
    private readonly string[] _checkpointRoots;

    /// <summary>Confines reads to <paramref name="directories"/> (resolved now; they need not exist yet).</summary>
    /// <param name="directories">The data roots.</param>
    /// <param name="checkpointDirectories">
    /// Further roots for <c>transfer.from_checkpoint</c> only (a coordinator's own job checkpoints); none when null.
    /// </param>
    /// <exception cref="ArgumentException">No directory is given, or one is empty.</exception>
    public DataRoots(IEnumerable<string> directories, IEnumerable<string>? checkpointDirectories = null)
    {
        ArgumentNullException.ThrowIfNull(directories);
        _roots = Roots(directories);
        if (_roots.Length == 0)
        {
            throw new ArgumentException("Invalid data roots: at least one directory is needed", nameof(directories));
        }
        _checkpointRoots = [.. _roots, .. Roots(checkpointDirectories ?? [])];
    }

    /// <summary>The resolved root directories, in the order given.</summary>
    public IReadOnlyList<string> Directories => _roots;

    /// <summary>
    /// One <c>field: reason</c> line for each path of <paramref name="spec"/> outside every root (dataset files, the
    /// transfer checkpoint); empty when all are inside. Unset paths are left to the spec's validation.
    /// </summary>
    public IReadOnlyList<string> Check(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var refusals = new List<string>();
        var dataset = spec.Dataset ?? new DatasetSpec();
        Check(refusals, "dataset.train_path", dataset.TrainPath, _roots);
        Check(refusals, "dataset.train_labels_path", dataset.TrainLabelsPath, _roots);
        Check(refusals, "dataset.test_path", dataset.TestPath, _roots);
        Check(refusals, "dataset.test_labels_path", dataset.TestLabelsPath, _roots);
        Check(refusals, "transfer.from_checkpoint", spec.Transfer?.FromCheckpoint ?? "", _checkpointRoots);
        return refusals;
    }

    /// <summary>Whether <paramref name="path"/>, with its links resolved, is a data root or lies under one.</summary>
    public bool Contains(string path) => IsUnder(path, _roots);

    private static bool IsUnder(string path, string[] roots)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }
        string? resolved = ResolvePath(path);
        return resolved is not null && roots.Any(root => IsWithin(resolved, root));
    }

    private static void Check(List<string> refusals, string field, string path, string[] roots)
    {
        if (path.Length > 0 && !IsUnder(path, roots))
        {
            // The caller's own path only: neither where its links lead nor whether it exists.
            refusals.Add($"{field}: {path} is outside the data roots ({string.Join(", ", roots)})");
        }
    }

    private static string[] Roots(IEnumerable<string> directories)
    {
        var roots = new List<string>();
        foreach (var directory in directories)
        {
            if (string.IsNullOrWhiteSpace(directory))
            {
                throw new ArgumentException("Invalid data root: empty", nameof(directories));
            }
            roots.Add(ResolvePath(directory) ?? Path.GetFullPath(directory));
        }
        return [.. roots.Distinct(StringComparer.Ordinal)];
    }

    private static bool IsWithin(string path, string root) =>
        path == root || path.StartsWith(root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>
    /// The absolute path with <c>.</c>, <c>..</c> and every symbolic link resolved component by component, as the
    /// kernel does when it opens the path (<c>link/..</c> is the parent of the link's target, not the directory
    /// holding the link); null when the links loop. Components that do not exist are kept as written.
    /// </summary>
    /// <param name="path">Absolute, or relative to the working directory.</param>
    public static string? ResolvePath(string path)
    {
        string absolute = Path.IsPathRooted(path) ? path : Path.Combine(Environment.CurrentDirectory, path);
        string root = Path.GetPathRoot(absolute) ?? "/";
        var pending = new Stack<string>(Components(absolute[root.Length..]).Reverse());
        string current = root;
        int links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }
            string next = Path.Combine(current, part);
            string? target = LinkTarget(next);
            if (target is null)
            {
                current = next;
                continue;
            }
            if (++links > MaxLinks)
            {
                return null;
            }
            if (Path.IsPathRooted(target))
            {
                current = Path.GetPathRoot(target) ?? root;
                target = target[current.Length..];
            }
            foreach (var linked in Components(target).Reverse())
            {
                pending.Push(linked);
            }
        }
        return current;
    }

    private static string[] Components(string path) =>
        path.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception failure) when (failure is IOException or UnauthorizedAccessException)
        {
            // Not readable as a link: the open that follows fails on its own terms.
            return null;
        }
    }
}
