using DistributedTrainer.Numerics;
using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class RecurrentTests
{
    private const int Steps = 4;
    private const int StepSize = 3;
    private const int Hidden = 3;

    private static Model SingleRecurrent(RecurrentKind kind, int maxBatch, int numLayers = 1, bool bidirectional = false,
        RecurrentOutput output = RecurrentOutput.Last, int bpttSteps = 0, ulong seed = 5)
    {
        var layer = new Recurrent("rnn", Steps * StepSize, kind, StepSize, Hidden, numLayers, bidirectional, output,
            bpttSteps, new LayerTestInitializer(-0.8f, 0.8f), new LayerTestInitializer(-0.8f, 0.8f),
            new LayerTestInitializer(-0.5f, 0.5f));
        var model = new Model([layer], maxBatch);
        model.Initialize(seed);
        return model;
    }

    public static TheoryData<RecurrentKind, int, bool, RecurrentOutput> GradientCases()
    {
        var cases = new TheoryData<RecurrentKind, int, bool, RecurrentOutput>();
        foreach (var kind in new[] { RecurrentKind.RnnTanh, RecurrentKind.Lstm, RecurrentKind.Gru })
        {
            cases.Add(kind, 1, false, RecurrentOutput.Last);
            cases.Add(kind, 1, false, RecurrentOutput.Mean);
            cases.Add(kind, 1, true, RecurrentOutput.Sequence);
            cases.Add(kind, 2, false, RecurrentOutput.Sequence);
            cases.Add(kind, 2, true, RecurrentOutput.Last);
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Backward_Configuration_MatchesFiniteDifferences(RecurrentKind kind, int numLayers, bool bidirectional,
        RecurrentOutput output)
    {
        using var model = SingleRecurrent(kind, 2, numLayers, bidirectional, output);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(2), GradientCheck.RandomValues(2 * Steps * StepSize, 7), 2);
    }

    [Fact]
    public void Backward_ReluRnn_MatchesFiniteDifferences()
    {
        using var model = SingleRecurrent(RecurrentKind.RnnRelu, 2, numLayers: 2, bidirectional: true,
            output: RecurrentOutput.Sequence);

        // A step of 1e-3 keeps the central differences of the pre-activations from straddling ReLU's kink.
        GradientCheck.AssertModelGradients(model, GradientCheck.Training(2), GradientCheck.RandomValues(2 * Steps * StepSize, 8), 2,
            epsilon: 1e-3);
    }

    [Theory]
    [InlineData(RecurrentKind.Lstm)]
    [InlineData(RecurrentKind.Gru)]
    public void Backward_BpttStepsAtLeastSteps_EqualsFullBackpropagation(RecurrentKind kind)
    {
        using var full = SingleRecurrent(kind, 2, bidirectional: true, output: RecurrentOutput.Mean);
        using var truncated = SingleRecurrent(kind, 2, bidirectional: true, output: RecurrentOutput.Mean, bpttSteps: Steps);
        float[] input = GradientCheck.RandomValues(2 * Steps * StepSize, 9);
        float[] outputGradient = GradientCheck.RandomValues(2 * full.OutputSize, 10);

        float[] expected = Gradients(full, input, outputGradient, 2);
        float[] actual = Gradients(truncated, input, outputGradient, 2);

        GradientCheck.AssertClose(expected, actual, 0);
    }

    [Fact]
    public void Backward_BpttStepsOne_StopsGradientAtEachStep()
    {
        using var model = SingleRecurrent(RecurrentKind.Lstm, 1, output: RecurrentOutput.Sequence, bpttSteps: 1);
        float[] input = GradientCheck.RandomValues(Steps * StepSize, 11);
        // Only the last step's output carries a gradient.
        float[] outputGradient = new float[model.OutputSize];
        outputGradient.AsSpan((Steps - 1) * Hidden).Fill(1f);
        float[] inputGradient = new float[model.InputSize];

        model.ZeroGradients();
        model.Forward(GradientCheck.Training(1), input, 1);
        model.Backward(GradientCheck.Training(1), outputGradient, inputGradient, 1);

        Assert.All(inputGradient[..((Steps - 1) * StepSize)], value => Assert.Equal(0f, value));
        Assert.Contains(inputGradient[((Steps - 1) * StepSize)..], value => value != 0f);
    }

    [Theory]
    [InlineData(RecurrentKind.RnnTanh)]
    [InlineData(RecurrentKind.Lstm)]
    [InlineData(RecurrentKind.Gru)]
    public void Forward_SplitBatch_MatchesWholeBatch(RecurrentKind kind)
    {
        using var model = SingleRecurrent(kind, 4, numLayers: 2, bidirectional: true, output: RecurrentOutput.Sequence);
        float[] input = GradientCheck.RandomValues(4 * Steps * StepSize, 12);
        int half = 2 * Steps * StepSize;

        float[] whole = model.Forward(GradientCheck.Evaluation(), input, 4).ToArray();
        float[] split = [.. model.Forward(GradientCheck.Evaluation(), input.AsSpan(0, half), 2).ToArray(),
            .. model.Forward(GradientCheck.Evaluation(), input.AsSpan(half), 2).ToArray()];

        GradientCheck.AssertClose(whole, split, 1e-6);
    }

    // Counted on this thread only, with one compute thread so that every GEMM runs here.
    [Fact]
    public void ForwardAndBackward_SteadyState_AllocateNothing()
    {
        int saved = ComputeThreads.Count;
        ComputeThreads.Count = 1;
        try
        {
            using var model = SingleRecurrent(RecurrentKind.Lstm, 3, numLayers: 2, bidirectional: true);
            float[] input = GradientCheck.RandomValues(3 * Steps * StepSize, 13);
            float[] outputGradient = GradientCheck.RandomValues(3 * model.OutputSize, 14);
            float[] inputGradient = new float[3 * model.InputSize];
            var context = GradientCheck.Training(3);
            model.Forward(context, input, 3);
            model.Backward(context, outputGradient, inputGradient, 3);

            long before = GC.GetAllocatedBytesForCurrentThread();
            model.Forward(context, input, 3);
            model.Backward(context, outputGradient, inputGradient, 3);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Equal(0, allocated);
        }
        finally
        {
            ComputeThreads.Count = saved;
        }
    }

    [Fact]
    public void DeclareParameters_BidirectionalStackedLstm_UsesPyTorchNamesAndShapes()
    {
        using var model = SingleRecurrent(RecurrentKind.Lstm, 1, numLayers: 2, bidirectional: true);

        string[] described = [.. model.Store.Parameters.Select(view => $"{view.Name} {string.Join('x', view.Shape)}")];

        Assert.Equal(
        [
            "rnn.weight_ih_l0 12x3", "rnn.weight_hh_l0 12x3", "rnn.bias_ih_l0 12", "rnn.bias_hh_l0 12",
            "rnn.weight_ih_l0_reverse 12x3", "rnn.weight_hh_l0_reverse 12x3", "rnn.bias_ih_l0_reverse 12", "rnn.bias_hh_l0_reverse 12",
            "rnn.weight_ih_l1 12x6", "rnn.weight_hh_l1 12x3", "rnn.bias_ih_l1 12", "rnn.bias_hh_l1 12",
            "rnn.weight_ih_l1_reverse 12x6", "rnn.weight_hh_l1_reverse 12x3", "rnn.bias_ih_l1_reverse 12", "rnn.bias_hh_l1_reverse 12",
        ], described);
    }

    [Fact]
    public void Initialize_DefaultLstm_OrthogonalRecurrentBlocksAndForgetBiasOne()
    {
        const int hidden = 8;
        using var model = new Model([new Recurrent("lstm", 20, RecurrentKind.Lstm, 5, hidden)], 1);

        model.Initialize(3);

        var store = model.Store;
        float[] recurrent = store.ValuesOf(store.Parameters[1]).ToArray();
        for (int gate = 0; gate < 4; gate++)
        {
            // Each (H, H) gate block W satisfies W W^T = I.
            for (int i = 0; i < hidden; i++)
            {
                for (int j = 0; j < hidden; j++)
                {
                    double dot = 0;
                    for (int k = 0; k < hidden; k++)
                    {
                        dot += recurrent[(gate * hidden * hidden) + (i * hidden) + k] * recurrent[(gate * hidden * hidden) + (j * hidden) + k];
                    }
                    Assert.Equal(i == j ? 1.0 : 0.0, dot, 1e-5);
                }
            }
        }
        float bound = 1f / MathF.Sqrt(hidden);
        Assert.All(store.ValuesOf(store.Parameters[0]).ToArray(), value => Assert.InRange(value, -bound, bound));
        float[] expectedBias = [.. Enumerable.Repeat(0f, hidden), .. Enumerable.Repeat(1f, hidden), .. Enumerable.Repeat(0f, 2 * hidden)];
        Assert.Equal(expectedBias, store.ValuesOf(store.Parameters[2]).ToArray());
        Assert.All(store.ValuesOf(store.Parameters[3]).ToArray(), value => Assert.Equal(0f, value));
    }

    [Fact]
    public void Constructor_StepSizeNotDividingInput_ThrowsNamingValue()
    {
        var error = Assert.Throws<ArgumentException>(() => new Recurrent("lstm", 10, RecurrentKind.Lstm, 3, 4));

        Assert.Contains("stepSize", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RecurrentOutput.Last, 8)]
    [InlineData(RecurrentOutput.Mean, 8)]
    [InlineData(RecurrentOutput.Sequence, 40)]
    public void OutputSize_Output_IsDirectionsTimesHiddenPerGivenStep(RecurrentOutput output, int expected)
    {
        using var layer = new Recurrent("gru", 15, RecurrentKind.Gru, 3, 4, bidirectional: true, output: output);

        Assert.Equal(expected, layer.OutputSize);
    }

    private static float[] Gradients(Model model, float[] input, float[] outputGradient, int batch)
    {
        var context = GradientCheck.Training(batch);
        float[] inputGradient = new float[batch * model.InputSize];
        model.ZeroGradients();
        model.Forward(context, input, batch);
        model.Backward(context, outputGradient, inputGradient, batch);
        return [.. inputGradient, .. model.Store.Gradients.ToArray()];
    }
}
