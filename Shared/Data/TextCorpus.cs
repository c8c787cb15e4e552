namespace DistributedTrainer.Data;

/// <summary>
/// A TEXT data set: one UTF-8 file, or the files of a directory, cut into windows for a character-level language
/// model. A directory's corpus is its regular files in ordinal name order, a line feed between one file and the
/// next; symbolic links and subdirectories are not read (a link would repeat a file of the directory, as Debian's
/// GPL -> GPL-3 does, or reach outside it and its data root). Sample k of the training split reads the ids of
/// characters [k stride, k stride + window) and targets the characters one further on, [k stride + 1, k stride +
/// window + 1): the next character at every step. The last test fraction of the corpus is the test split, cut into
/// windows that do not overlap, so its loss is a per-character loss over (almost) all of the held-out tail; with a
/// test context K the test windows overlap by K characters and their first K steps are <see cref="Dataset.Unscored"/>,
/// so each scored character is predicted from at least K before it.
/// </summary>
public static class TextCorpus
{
    /// <summary>Default fraction of the corpus held out as the test set.</summary>
    public const float DefaultTestFraction = 0.1f;

    /// <summary>Reads <paramref name="path"/> and cuts it; errors name the dataset field.</summary>
    /// <param name="path">A text file (UTF-8, raw or gzip) or a directory of them.</param>
    /// <param name="window">Characters per sample, &gt;= 1.</param>
    /// <param name="stride">Characters between consecutive training windows, &gt;= 1.</param>
    /// <param name="testFraction">Share of the corpus at its end held out, in (0, 0.5].</param>
    /// <param name="testContext">Steps at the start of each test window that are read but not scored, in [0, window).</param>
    /// <exception cref="FileNotFoundException">Nothing is at <paramref name="path"/>.</exception>
    /// <exception cref="IOException">A file or the directory cannot be read.</exception>
    /// <exception cref="InvalidDataException">
    /// A file is not UTF-8 text, the directory holds no regular file, or the corpus is too short for one window on
    /// each side.
    /// </exception>
    public static TextSplits Load(string path, int window, int stride, float testFraction, int testContext = 0) =>
        Cut(path, Read(path), window, stride, testFraction, testContext);

    /// <summary>
    /// The corpus at <paramref name="path"/>: the file's text, or a directory's regular files in ordinal name order
    /// joined by line feeds. Exceptions as <see cref="Load"/>'s.
    /// </summary>
    public static string Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path))
        {
            return TextFile.Read(path);
        }
        if (!Directory.Exists(path))
        {
            throw new FileNotFoundException($"dataset.train_path: file or directory not found: {path}{MissingDataHint.For(path)}", path);
        }
        var files = Files(path);
        if (files.Count == 0)
        {
            throw new InvalidDataException(
                $"dataset.train_path: directory {path} holds no regular file (symbolic links and subdirectories are not read)");
        }
        return string.Join('\n', files.Select(TextFile.Read));
    }

    // The directory's regular files, by ordinal name: the order is the same on every machine and in every locale.
    private static List<string> Files(string directory)
    {
        try
        {
            return [.. new DirectoryInfo(directory).EnumerateFiles()
                .Where(file => file.LinkTarget is null)
                .Select(file => file.FullName)
                .Order(StringComparer.Ordinal)];
        }
        catch (UnauthorizedAccessException error)
        {
            throw new IOException($"dataset.train_path: directory {directory} cannot be listed (permission denied)", error);
        }
    }

    /// <summary>Cuts <paramref name="text"/> (read from <paramref name="path"/>, named in errors) as <see cref="Load"/> does.</summary>
    public static TextSplits Cut(string path, string text, int window, int stride, float testFraction, int testContext = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(testContext);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(testContext, window);
        if (!(testFraction > 0f && testFraction <= 0.5f))
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "must be in (0, 0.5]");
        }
        var vocabulary = TextVocabulary.Build(text);
        var ids = vocabulary.Encode(text);
        int testLength = (int)(ids.Length * (double)testFraction);
        int trainLength = ids.Length - testLength;
        // A window needs window + 1 characters: its inputs and, one further on, its targets.
        if (trainLength < window + 1 || testLength < window + 1 - testContext)
        {
            throw new InvalidDataException(
                $"dataset.train_path: {path} holds {ids.Length} characters; windows of {window} need at least {window + 1} in the training part " +
                $"and in the test tail (dataset.test_fraction {testFraction} leaves {trainLength} and {testLength})");
        }
        var train = Windows(ids, 0, trainLength, window, stride, 0, vocabulary.Count);
        // The test windows start testContext characters early (reading the training part's end as context only), so
        // their scored targets tile the tail from its second character on, each scored once, as with no context.
        var test = Windows(ids, trainLength - testContext, ids.Length, window, window - testContext, testContext, vocabulary.Count);
        return new TextSplits(train, test, vocabulary) { ScoredTestTargets = (long)test.Count * (window - testContext) };
    }

    // Windows of ids[start .. end) whose inputs and targets both lie inside it; the first `unscored` steps of each
    // window are read but not scored.
    private static Dataset Windows(int[] ids, int start, int end, int window, int stride, int unscored, int classes)
    {
        int count = (end - start - window - 1) / stride + 1;
        var features = new float[checked(count * window)];
        var labels = new int[count * window];
        for (int sample = 0; sample < count; sample++)
        {
            int first = start + sample * stride;
            for (int step = 0; step < window; step++)
            {
                features[sample * window + step] = ids[first + step];
                labels[sample * window + step] = step < unscored ? Dataset.Unscored : ids[first + step + 1];
            }
        }
        return Dataset.FromFloats(features, labels, window, classes, window);
    }
}
