using DistributedTrainer.Checkpoints;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Training;

public sealed class TransferLearningTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-transfer-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static float[] Tensor(Model model, string name) =>
        model.Store.ValuesOf(model.Store.Parameters.Single(view => view.Name == name)).ToArray();

    private string TrainSource()
    {
        var spec = SyntheticJobs.Spec(epochs: 1);
        using var source = Trainer.Create(spec, SyntheticJobs.Blobs(), _directory);
        source.Run(new RecordingObserver());
        return _directory;
    }

    private static JobSpec TransferSpec(string from)
    {
        var spec = SyntheticJobs.Spec(epochs: 1);
        spec.Seed = 99;
        spec.Transfer = new TransferSpec { FromCheckpoint = from, Freeze = { "fc1" }, ReplaceOutput = true };
        return spec;
    }

    [Fact]
    public void Create_WithTransfer_LoadsMatchingTensorsAndLeavesTheNewHeadFresh()
    {
        var saved = new CheckpointStore(TrainSource()).LoadLatest().Checkpoint!;
        float[] savedFc1 = saved.Model.Single(t => t.Name == "fc1.weight").Data;
        float[] savedOut = saved.Model.Single(t => t.Name == "out.weight").Data;

        using var target = Trainer.Create(TransferSpec(_directory), SyntheticJobs.Blobs());

        Assert.Equal(savedFc1, Tensor(target.Model, "fc1.weight"));
        Assert.NotEqual(savedOut, Tensor(target.Model, "out.weight"));
    }

    [Fact]
    public void Run_WithFrozenLayer_LeavesItUnchangedAndTrainsTheRest()
    {
        TrainSource();
        using var target = Trainer.Create(TransferSpec(_directory), SyntheticJobs.Blobs());
        float[] fc1Before = Tensor(target.Model, "fc1.weight");
        float[] blockBefore = Tensor(target.Model, "block.fc.weight");

        target.Run(new RecordingObserver());

        Assert.Equal(fc1Before, Tensor(target.Model, "fc1.weight"));
        Assert.NotEqual(blockBefore, Tensor(target.Model, "block.fc.weight"));
    }

    [Fact]
    public void Create_FromDirectoryWithoutCheckpoints_ThrowsNamingTheField()
    {
        string empty = Directory.CreateDirectory(Path.Combine(_directory, "empty")).FullName;

        var error = Assert.Throws<InvalidDataException>(() => Trainer.Create(TransferSpec(empty), SyntheticJobs.Blobs()));

        Assert.Contains("transfer.from_checkpoint", error.Message, StringComparison.Ordinal);
    }
}
