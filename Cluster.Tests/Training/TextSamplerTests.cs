using DistributedTrainer.Tests.Client;
using DistributedTrainer.Tests.Coordinator;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Training;

/// <summary>Text generation from checkpoints (`trainctl sample`), on a tiny character model trained here.</summary>
public sealed class TextSamplerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-sample-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Generate_SameSeed_GivesSameTextOfThePromptAndLength()
    {
        using var sampler = TextSampler.Load(Train(LocalCommandTests.WriteTextSpec(_directory)));

        string first = sampler.Generate("the ", 40, 0.8f, seed: 5);
        string second = sampler.Generate("the ", 40, 0.8f, seed: 5);

        Assert.Equal(first, second);
        Assert.StartsWith("the ", first, StringComparison.Ordinal);
        Assert.Equal(44, first.Length);
    }

    [Fact]
    public void Generate_PromptCharacterNotInVocabulary_ThrowsNamingIt()
    {
        using var sampler = TextSampler.Load(Train(LocalCommandTests.WriteTextSpec(_directory)));

        var error = Assert.Throws<ArgumentException>(() => sampler.Generate("the Zebra", 10, 1f, seed: 1));

        Assert.StartsWith("--prompt: character 4 (U+005A) is not in the vocabulary of 15 characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CheckpointOfACsvJob_ThrowsNotATextModel()
    {
        string checkpoint = Train(TestJobs.WriteSpecFile(_directory, epochs: 1));

        var error = Assert.Throws<InvalidDataException>(() => TextSampler.Load(checkpoint));

        Assert.Contains("not a text model (its job's dataset.format is Csv", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sample_TextCheckpoint_PrintsThePromptAndExitsWith0()
    {
        string checkpoint = Train(LocalCommandTests.WriteTextSpec(_directory));

        var result = TrainctlProcess.Run(TimeSpan.FromMinutes(2), "sample", checkpoint, "--prompt", "the cat", "--length", "20", "--seed", "3");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.StartsWith("the cat", result.Stdout, StringComparison.Ordinal);
    }

    // Trains the spec in this process and returns its last checkpoint.
    private string Train(string specPath)
    {
        var job = JobInput.Load(specPath);
        using var trainer = Trainer.Create(job.Spec, job.Data, Path.Combine(_directory, "checkpoints"));
        return trainer.Run(new RecordingObserver()).Checkpoint!;
    }
}
