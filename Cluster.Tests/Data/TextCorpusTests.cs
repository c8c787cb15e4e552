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

        Assert.StartsWith($"dataset.train_path: {path} is not UTF-8 text", error.Message, StringComparison.Ordinal);
    }
}
