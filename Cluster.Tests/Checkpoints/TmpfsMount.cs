using System.Diagnostics;
using System.Globalization;

namespace DistributedTrainer.Tests.Checkpoints;

/// <summary>
/// A small tmpfs mounted on a directory (root only): a disk that fills up after a known number of bytes. Unmounted on
/// dispose; the directory it was mounted on stays as it was before.
/// </summary>
internal sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path) => Path = path;

    /// <summary>Where the tmpfs is mounted.</summary>
    public string Path { get; }

    /// <summary>Why tmpfs cannot be mounted here (not root, no CAP_SYS_ADMIN in a container), or null when it can.</summary>
    public static string? Unavailable { get; } = Probe();

    /// <summary>Mounts a tmpfs of <paramref name="bytes"/> bytes on <paramref name="path"/>, creating the directory.</summary>
    public static TmpfsMount Mount(string path, long bytes)
    {
        Directory.CreateDirectory(path);
        var (exitCode, output) = Run("mount", "-t", "tmpfs", "-o", $"size={bytes.ToString(CultureInfo.InvariantCulture)}", "tmpfs", path);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"mount -t tmpfs on {path} failed ({exitCode}): {output}");
        }
        return new TmpfsMount(path);
    }

    public void Dispose()
    {
        var (exitCode, output) = Run("umount", Path);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"umount {Path} failed ({exitCode}): {output}");
        }
    }

    private static string? Probe()
    {
        string path = Directory.CreateTempSubdirectory("dt-tmpfs-probe-").FullName;
        try
        {
            using (Mount(path, 64 * 1024))
            {
            }
            return null;
        }
        catch (Exception failure) when (failure is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return $"a tmpfs cannot be mounted here (the test needs root or CAP_SYS_ADMIN): {failure.Message}";
        }
        finally
        {
            Directory.Delete(path);
        }
    }

    private static (int ExitCode, string Output) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, (stdout.Result + stderr).Trim());
    }
}
