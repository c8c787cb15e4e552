namespace DistributedTrainer.Diagnostics;

/// <summary>Reads the span files (<c>*.traces.jsonl</c>) the processes of a job wrote into one directory.</summary>
public static class TraceFiles
{
    /// <summary>The pattern of span file names.</summary>
    public const string Pattern = "*.traces.jsonl";

    /// <summary>The span files in <paramref name="directory"/>, by name.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static IReadOnlyList<string> Find(string directory) =>
        [.. Directory.GetFiles(directory, Pattern).Order(StringComparer.Ordinal)];

    /// <summary>
    /// Every span of <paramref name="path"/>. A last line without its newline is a batch the process was
    /// writing when it stopped; it is left out.
    /// </summary>
    /// <exception cref="FormatException">A complete line is not a span; the message names the file and line.</exception>
    public static IReadOnlyList<SpanRecord> Read(string path)
    {
        string text;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var reader = new StreamReader(stream))
        {
            text = reader.ReadToEnd();
        }

        var spans = new List<SpanRecord>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length - 1; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }

            try
            {
                spans.Add(SpanRecord.Parse(lines[i]));
            }
            catch (FormatException e)
            {
                throw new FormatException($"{path}:{i + 1}: {e.Message}", e);
            }
        }

        return spans;
    }
}
