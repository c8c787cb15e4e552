using System.IO.Compression;
using System.Text;
using DistributedTrainer.Data;
using DistributedTrainer.Protos.V1;
using Xunit;

namespace DistributedTrainer.Tests.Data;

public sealed class TextCorpusTests
{
    [Fact]
    public void Build_AnyOrder_SortsDistinctCharactersByCodePoint()
    {
        var vocabulary = TextVocabulary.Build("banana é!");

        Assert.Equal(" !abné", vocabulary.Characters);
        Assert.Equal(3, vocabulary.IdOf(new Rune('b')));
    }

    [Fact]
    public void Parse_WrittenCharacters_GivesSameIds()
    {
        var written = TextVocabulary.Build("the quick brown fox, 🦊");

        var read = TextVocabulary.Parse(written.Characters);

        Assert.Equal(written.Encode("fox, 🦊"), read.Encode("fox, 🦊"));
    }

    [Fact]
    public void Encode_UnknownCharacter_ThrowsNamingItsPositionAndCode()
    {
        var vocabulary = TextVocabulary.Build("abc");

        var error = Assert.Throws<ArgumentException>(() => vocabulary.Encode("abz"));

        Assert.Contains("character 2 (U+007A) is not in the vocabulary of 3 characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cut_Windows_TargetTheNextCharacterAtEveryStep()
    {
        // 20 characters, the last 5 (test_fraction 0.25) held out: training windows of 3 every 2 characters.
        var splits = TextCorpus.Cut("t", "abcdefghijklmnopqrst", window: 3, stride: 2, testFraction: 0.25f);

        var features = new float[3];
        var labels = new int[3];
        splits.Train.Gather(features, labels, [1]);
        Assert.Equal([2f, 3f, 4f], features);   // "cde"
        Assert.Equal([3, 4, 5], labels);        // "def"
        Assert.Equal(6, splits.Train.Count);    // starts 0, 2, ..., 10: the last window's targets end at 'n' (13)
        Assert.Equal(3, splits.Train.TargetsPerSample);
    }

    [Fact]
    public void Cut_TestTail_IsCutIntoWindowsThatDoNotOverlap()
    {
        var splits = TextCorpus.Cut("t", "abcdefghijklmnopqrst", window: 2, stride: 1, testFraction: 0.4f);

        // The tail is "mnopqrst" (8 characters): windows at m, o, q; the one at s would need a target past the end.
        var features = new float[6];
        var labels = new int[6];
        splits.Test.Gather(features, labels, [0, 1, 2]);
        Assert.Equal(3, splits.Test.Count);
        Assert.Equal([12f, 13f, 14f, 15f, 16f, 17f], features);
        Assert.Equal([13, 14, 15, 16, 17, 18], labels);
    }

    [Fact]
    public void Cut_TestContext_ScoresEveryTailCharacterOnceAfterItsContext()
    {
        var splits = TextCorpus.Cut("t", "abcdefghijklmnopqrst", window: 4, stride: 1, testFraction: 0.4f, testContext: 2);

        // The tail is "mnopqrst" (12..19). Windows of 4 start 2 early and every 2 characters: at k (10), m, o; the one
        // at q would need a target past the end. Each reads 2 characters it is not scored on, then is scored on 2.
        var features = new float[12];
        var labels = new int[12];
        splits.Test.Gather(features, labels, [0, 1, 2]);
        Assert.Equal(3, splits.Test.Count);
        Assert.Equal([10f, 11f, 12f, 13f, 12f, 13f, 14f, 15f, 14f, 15f, 16f, 17f], features);
        int u = Dataset.Unscored;
        Assert.Equal([u, u, 13, 14, u, u, 15, 16, u, u, 17, 18], labels);
        Assert.Equal(6, splits.ScoredTestTargets);
    }

    [Fact]
    public void Cut_TestContextAsLongAsTheWindow_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TextCorpus.Cut("t", "abcdefghijklmnopqrst", window: 4, stride: 1, testFraction: 0.4f, testContext: 4));
    }

    [Fact]
    public void Cut_TailShorterThanAWindow_ThrowsNamingTheField()
    {
        var error = Assert.Throws<InvalidDataException>(() => TextCorpus.Cut("short.txt", "abcdefghij", window: 4, stride: 1, testFraction: 0.2f));

        Assert.StartsWith("dataset.train_path: short.txt holds 10 characters; windows of 4 need at least 5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TextSpec_GivesWindowsVocabularyAndClassCount()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("corpus.txt");
        File.WriteAllText(path, string.Concat(Enumerable.Repeat("hello world. ", 20)));
        var spec = new DatasetSpec { Format = DatasetSpec.Types.Format.Text, TrainPath = path, Window = 8, TestFraction = 0.2f };

        var data = DatasetLoader.Load(spec, seed: 1);

        Assert.Equal(" .dehlorw", data.Vocabulary!.Characters);
        Assert.Equal((9, 8, 8), (data.ClassCount, data.FeatureCount, data.TargetsPerSample));
        Assert.Equal((208 - 8 - 1) / 8 + 1, data.Train.Count);
    }

    [Fact]
    public void Load_TextWithoutWindow_ThrowsNamingTheField()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("corpus.txt");
        File.WriteAllText(path, "some text");
        var spec = new DatasetSpec { Format = DatasetSpec.Types.Format.Text, TrainPath = path };

        var error = Assert.Throws<ArgumentException>(() => DatasetLoader.Load(spec, seed: 1));

        Assert.StartsWith("dataset.window: 0 (must be >= 1 for TEXT)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TextNotUtf8_ThrowsNamingTheField()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("corpus.bin");
        File.WriteAllBytes(path, [0x61, 0xFF, 0xFE, 0x62, 0x80]);
        var spec = new DatasetSpec { Format = DatasetSpec.Types.Format.Text, TrainPath = path, Window = 1 };

        var error = Assert.Throws<InvalidDataException>(() => DatasetLoader.Load(spec, seed: 1));

        Assert.StartsWith($"dataset.train_path: {path} is not UTF-8 text (invalid byte sequence at byte 1)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Directory_JoinsItsFilesInOrdinalNameOrderWithALineFeed()
    {
        using var directory = new TemporaryDirectory();
        // Ordinal order puts upper case first and "a10" before "a2", whatever the locale.
        File.WriteAllText(directory.File("a2"), "second\n");
        File.WriteAllText(directory.File("a10"), "first");
        File.WriteAllText(directory.File("B"), "zeroth");
        using (var gzip = new GZipStream(File.Create(directory.File("c.gz")), CompressionLevel.Fastest))
        {
            gzip.Write("third"u8);
        }

        string corpus = TextCorpus.Read(directory.Path);

        Assert.Equal("zeroth\nfirst\nsecond\n\nthird", corpus);
    }

    [Fact]
    public void Read_DirectoryWithLinksAndASubdirectory_ReadsItsRegularFilesOnly()
    {
        using var directory = new TemporaryDirectory();
        string corpus = Directory.CreateDirectory(directory.File("corpus")).FullName;
        string outside = directory.File("secret.txt");
        File.WriteAllText(outside, "SECRET");
        File.WriteAllText(Path.Combine(corpus, "b.txt"), "text");
        // A link leading out of the directory (and so, possibly, out of its data root) and one repeating a file.
        File.CreateSymbolicLink(Path.Combine(corpus, "a-outside.txt"), outside);
        File.CreateSymbolicLink(Path.Combine(corpus, "c-again.txt"), Path.Combine(corpus, "b.txt"));
        Directory.CreateDirectory(Path.Combine(corpus, "nested"));
        File.WriteAllText(Path.Combine(corpus, "nested", "deeper.txt"), "nested");

        Assert.Equal("text", TextCorpus.Read(corpus));
    }

    [Fact]
    public void Read_DirectoryWithoutRegularFiles_ThrowsNamingTheField()
    {
        using var directory = new TemporaryDirectory();
        string corpus = Directory.CreateDirectory(directory.File("corpus")).FullName;
        File.WriteAllText(directory.File("secret.txt"), "SECRET");
        File.CreateSymbolicLink(Path.Combine(corpus, "link.txt"), directory.File("secret.txt"));

        var error = Assert.Throws<InvalidDataException>(() => TextCorpus.Read(corpus));

        Assert.Equal(
            $"dataset.train_path: directory {corpus} holds no regular file (symbolic links and subdirectories are not read)", error.Message);
    }

    [Fact]
    public void Read_DirectoryWithABinaryFile_ThrowsNamingTheFileWithoutItsContent()
    {
        using var directory = new TemporaryDirectory();
        File.WriteAllText(directory.File("a.txt"), "text\tand\f\r\n");
        File.WriteAllBytes(directory.File("b.bin"), [0x68, 0xC3, 0xA9, 0x00, 0x7F]);

        var error = Assert.Throws<InvalidDataException>(() => TextCorpus.Read(directory.Path));

        Assert.Equal(
            $"dataset.train_path: {directory.File("b.bin")} is not text: character 2 is a control character other than tab, line feed, vertical tab, form feed or carriage return",
            error.Message);
    }

    [Fact]
    public void Read_DirectoryWithAFileNotUtf8_ThrowsNamingTheFileAndTheByte()
    {
        using var directory = new TemporaryDirectory();
        File.WriteAllText(directory.File("a.txt"), "text");
        File.WriteAllBytes(directory.File("b.txt"), [0xEF, 0xBB, 0xBF, 0x61, 0x62, 0xFF]);

        var error = Assert.Throws<InvalidDataException>(() => TextCorpus.Read(directory.Path));

        Assert.Equal($"dataset.train_path: {directory.File("b.txt")} is not UTF-8 text (invalid byte sequence at byte 5)", error.Message);
    }

    [Fact]
    public void Read_NothingAtThePath_ThrowsNamingTheField()
    {
        using var directory = new TemporaryDirectory();

        var error = Assert.Throws<FileNotFoundException>(() => TextCorpus.Read(directory.File("absent")));

        Assert.Equal($"dataset.train_path: file or directory not found: {directory.File("absent")}", error.Message);
    }

    [Fact]
    public void Load_DirectorySpec_HoldsOutTheTailOfTheJoinedFiles()
    {
        using var directory = new TemporaryDirectory();
        File.WriteAllText(directory.File("1"), "abcdefghij");
        File.WriteAllText(directory.File("2"), "klmnopqrs");
        var spec = new DatasetSpec { Format = DatasetSpec.Types.Format.Text, TrainPath = directory.Path, Window = 2, TestFraction = 0.25f };

        var data = DatasetLoader.Load(spec, seed: 1);

        // "abcdefghij\nklmnopqrs": 20 characters, the last 5 ("opqrs") held out in windows "op" and "qr".
        var features = new float[4];
        var labels = new int[4];
        data.Test.Gather(features, labels, [0, 1]);
        Assert.Equal("opqr", Decode(data.Vocabulary!, features.Select(id => (int)id)));
        Assert.Equal("pqrs", Decode(data.Vocabulary!, labels));
        Assert.Equal(20, data.Vocabulary!.Count);
    }

    private static string Decode(TextVocabulary vocabulary, IEnumerable<int> ids) =>
        string.Concat(ids.Select(id => vocabulary.CharacterOf(id).ToString()));
}
