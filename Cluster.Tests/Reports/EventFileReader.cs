using System.Diagnostics;
using System.Text.Json;
using DistributedTrainer.Protos.TensorBoard;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace DistributedTrainer.Tests.Reports;

/// <summary>What read_tfevents.py found in an event file.</summary>
internal sealed record EventFileContent(string? FileVersion, IReadOnlyList<ScalarPoint> Scalars, IReadOnlyList<HistogramPoint> Histograms);

/// <summary>One scalar event.</summary>
internal sealed record ScalarPoint(string Tag, long Step, double Value);

/// <summary>One histogram event, summarized.</summary>
internal sealed record HistogramPoint(string Tag, long Step, double Num, double Min, double Max, double BucketCountSum, int Buckets);

/// <summary>
/// Reads event files with an independent reader: read_tfevents.py under Debian's python3-protobuf, which checks
/// every CRC itself and parses the Events from descriptors this class writes.
/// </summary>
internal static class EventFileReader
{
    public const string Python = "/usr/bin/python3";

    public const string SkipReason = "Debian's python3-protobuf is not installed (/usr/bin/python3 -c 'import google.protobuf' failed); apt-get install python3-protobuf";

    private static readonly Lazy<bool> Available = new(() =>
    {
        if (!File.Exists(Python))
        {
            return false;
        }
        using var process = Process.Start(StartInfo("-c", "import google.protobuf"))!;
        if (!process.WaitForExit(30_000))
        {
            process.Kill(entireProcessTree: true);
            return false;
        }
        return process.ExitCode == 0;
    });

    public static bool IsAvailable => Available.Value;

    /// <summary>Runs the reader on <paramref name="eventFile"/>; throws with its stderr when it rejects the file.</summary>
    public static EventFileContent Read(string eventFile)
    {
        string descriptors = Path.Combine(Path.GetTempPath(), $"tensorboard-descriptors-{Guid.NewGuid():N}.pb");
        var set = new FileDescriptorSet();
        foreach (FileDescriptor file in new[] { SummaryReflection.Descriptor, EventReflection.Descriptor })
        {
            set.File.Add(FileDescriptorProto.Parser.ParseFrom(file.SerializedData));
        }
        File.WriteAllBytes(descriptors, set.ToByteArray());
        string stdout;
        try
        {
            using var process = Process.Start(StartInfo(Path.Combine(AppContext.BaseDirectory, "Reports", "read_tfevents.py"), descriptors, eventFile))!;
            var stderr = process.StandardError.ReadToEndAsync();
            stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidDataException($"read_tfevents.py rejected {eventFile}: {stderr.Result}");
            }
        }
        finally
        {
            File.Delete(descriptors);
        }

        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        var scalars = root.GetProperty("scalars").EnumerateArray()
            .Select(point => new ScalarPoint(point[0].GetString()!, point[1].GetInt64(), point[2].GetDouble())).ToList();
        var histograms = root.GetProperty("histograms").EnumerateArray()
            .Select(point => new HistogramPoint(point[0].GetString()!, point[1].GetInt64(), point[2].GetDouble(),
                point[3].GetDouble(), point[4].GetDouble(), point[5].GetDouble(), point[6].GetInt32())).ToList();
        string? version = root.GetProperty("file_version").ValueKind == JsonValueKind.Null ? null : root.GetProperty("file_version").GetString();
        return new EventFileContent(version, scalars, histograms);
    }

    private static ProcessStartInfo StartInfo(params string[] arguments)
    {
        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        return info;
    }
}
