using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Sweeps;

/// <summary>
/// Reads sweep spec files: the proto3 JSON mapping of <see cref="SweepSpec"/>, as JSON or YAML, read as job specs are
/// (<see cref="JobSpecLoader"/>): structure only; <see cref="SweepSpecValidator"/> checks the values.
/// </summary>
public static class SweepSpecLoader
{
    /// <summary>
    /// Reads the sweep at <paramref name="path"/> (.json, .yaml, .yml). The base spec's relative dataset paths and
    /// <c>transfer.from_checkpoint</c> are resolved against the file's directory; an empty <c>name</c> becomes the
    /// file name without extension.
    /// </summary>
    /// <exception cref="ArgumentException">The extension is none of .json, .yaml, .yml.</exception>
    /// <exception cref="JobSpecException">The file is malformed or names unknown fields; every error has its path.</exception>
    public static SweepSpec LoadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var format = JobSpecLoader.FormatOf(path);
        SweepSpec spec;
        try
        {
            spec = Parse(File.ReadAllText(path), format);
        }
        catch (JobSpecException e)
        {
            throw new JobSpecException(e.Errors, path, "sweep spec");
        }
        if (spec.Base is { } baseSpec)
        {
            JobSpecLoader.ResolvePaths(baseSpec, Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
        if (spec.Name.Length == 0)
        {
            spec.Name = Path.GetFileNameWithoutExtension(path);
        }
        return spec;
    }

    /// <summary>Parses sweep spec text as is (no path resolution, no default name).</summary>
    /// <exception cref="JobSpecException">The text is malformed or names unknown fields; every error has its path.</exception>
    public static SweepSpec Parse(string text, SpecFormat format)
    {
        try
        {
            return JobSpecLoader.ParseMessage<SweepSpec>(text, format);
        }
        catch (JobSpecException e)
        {
            throw new JobSpecException(e.Errors, null, "sweep spec");
        }
    }
}
