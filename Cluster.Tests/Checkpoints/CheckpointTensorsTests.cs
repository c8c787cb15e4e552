using DistributedTrainer.Checkpoints;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Optimizers;
using Xunit;

namespace DistributedTrainer.Tests.Checkpoints;

public sealed class CheckpointTensorsTests
{
    // fc.weight (2, 3) at 0, fc.bias (2) at 8 after two padding elements; one buffer bn.mean (2).
    private static readonly ParameterView[] Parameters =
    [
        new("fc.weight", 0, [2, 3], ParameterRole.Weight, "fc"),
        new("fc.bias", 8, [2], ParameterRole.Bias, "fc"),
    ];

    private static readonly ParameterView[] Buffers = [new("bn.mean", 0, [2], ParameterRole.Scale, "bn")];

    private static ParameterStore Store(float start)
    {
        var store = new ParameterStore(Parameters, Buffers);
        for (int i = 0; i < store.Values.Length; i++)
        {
            store.Values[i] = start + i;
        }
        store.BufferValues[0] = -start;
        store.BufferValues[1] = start;
        return store;
    }

    /// <summary>Keeps the last gradient and its square, like Adam's moment vectors without the averaging.</summary>
    private sealed class RecordingOptimizer() : Optimizer(10, "exp_avg", "exp_avg_sq")
    {
        public override float WeightDecay => 0f;

        protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, int offset, float learningRate, float weightDecay)
        {
            for (int i = 0; i < parameters.Length; i++)
            {
                StateVector("exp_avg")[offset + i] = gradients[i];
                StateVector("exp_avg_sq")[offset + i] = gradients[i] * gradients[i];
                parameters[i] -= learningRate * gradients[i];
            }
        }
    }

    private static RecordingOptimizer SteppedOptimizer()
    {
        var optimizer = new RecordingOptimizer();
        var gradients = Enumerable.Range(1, 10).Select(i => i * 0.5f).ToArray();
        optimizer.Step(new float[10], gradients, 0.1f, Parameters);
        return optimizer;
    }

    [Fact]
    public void FromModel_Store_NamesParametersThenBuffers()
    {
        using var store = Store(1f);

        var tensors = CheckpointTensors.FromModel(store);

        Assert.Equal(["fc.weight", "fc.bias", "bn.mean"], tensors.Select(tensor => tensor.Name));
    }

    [Fact]
    public void RestoreModel_FromAnotherStore_CopiesValuesAndBuffers()
    {
        using var source = Store(1f);
        using var target = Store(100f);

        CheckpointTensors.RestoreModel(target, CheckpointTensors.FromModel(source));

        Assert.Equal([.. source.ValuesOf(Parameters[0]), .. source.ValuesOf(Parameters[1]), .. source.BufferValues],
            [.. target.ValuesOf(Parameters[0]), .. target.ValuesOf(Parameters[1]), .. target.BufferValues]);
    }

    [Fact]
    public void RestoreModel_MissingTensor_ThrowsNamingIt()
    {
        using var store = Store(1f);
        var tensors = CheckpointTensors.FromModel(store).Where(tensor => tensor.Name != "fc.bias").ToList();

        var error = Assert.Throws<InvalidDataException>(() => CheckpointTensors.RestoreModel(store, tensors));

        Assert.Equal("Checkpoint has no tensor 'fc.bias'", error.Message);
    }

    [Fact]
    public void RestoreModel_WrongShape_ThrowsWithBothShapes()
    {
        using var store = Store(1f);
        var tensors = CheckpointTensors.FromModel(store)
            .Select(tensor => tensor.Name == "fc.weight" ? tensor with { Shape = [3, 2] } : tensor).ToList();

        var error = Assert.Throws<InvalidDataException>(() => CheckpointTensors.RestoreModel(store, tensors));

        Assert.Equal("Checkpoint tensor 'fc.weight' has shape [3, 2]; the model expects [2, 3]", error.Message);
    }

    [Fact]
    public void FromOptimizer_Any_NamesStatePerParameter()
    {
        var tensors = CheckpointTensors.FromOptimizer(SteppedOptimizer(), Parameters);

        Assert.Equal(["exp_avg.fc.weight", "exp_avg.fc.bias", "exp_avg_sq.fc.weight", "exp_avg_sq.fc.bias"], tensors.Select(tensor => tensor.Name));
    }

    [Fact]
    public void RestoreOptimizer_FromSaved_RestoresStateVectors()
    {
        var saved = SteppedOptimizer();
        var restored = new RecordingOptimizer();

        CheckpointTensors.RestoreOptimizer(restored, saved.StepCount, CheckpointTensors.FromOptimizer(saved, Parameters), Parameters);

        Assert.Equal([.. saved.State["exp_avg"], .. saved.State["exp_avg_sq"]], [.. restored.State["exp_avg"], .. restored.State["exp_avg_sq"]]);
    }

    [Fact]
    public void RestoreOptimizer_FromSaved_RestoresStepCount()
    {
        var saved = SteppedOptimizer();
        var restored = new RecordingOptimizer();

        CheckpointTensors.RestoreOptimizer(restored, saved.StepCount, CheckpointTensors.FromOptimizer(saved, Parameters), Parameters);

        Assert.Equal(1L, restored.StepCount);
    }

    [Fact]
    public void RestoreOptimizer_MissingState_ThrowsNamingTensor()
    {
        var tensors = CheckpointTensors.FromOptimizer(SteppedOptimizer(), Parameters).Where(tensor => !tensor.Name.StartsWith("exp_avg_sq.", StringComparison.Ordinal)).ToList();

        var error = Assert.Throws<InvalidDataException>(() => CheckpointTensors.RestoreOptimizer(new RecordingOptimizer(), 1, tensors, Parameters));

        Assert.Equal("Checkpoint has no tensor 'exp_avg_sq.fc.weight'", error.Message);
    }
}
