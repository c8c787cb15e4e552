using DistributedTrainer.Data;
using DistributedTrainer.Devices;
using DistributedTrainer.Jobs;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Losses;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Jobs;
using DistributedTrainer.Tests.Training;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>
/// Whole steps on the test device (ILGPU's CPU accelerator unless DT_TEST_DEVICE names another) against <see cref="MicroShardRunner"/> on the SIMD kernels, and whole runs of
/// the trainer on either.
/// </summary>
public sealed class DeviceShardRunnerTests
{
    private const int Shard = 8;

    private static DeviceShardRunner Runner(Model model, Dataset data, ulong seed, string loss = "softmax_cross_entropy") =>
        new(DeviceAccelerator.Open(TestDevice.Current), model, LossOf(loss), data, seed, Shard);

    private static Loss LossOf(string name) => name == "mse" ? new MeanSquaredError() : new SoftmaxCrossEntropy();

    // Five shards of a step over the 37 blob samples these ids pick.
    private static readonly int[] BlobIds = [.. Enumerable.Range(0, 37).Select(i => (i * 53) % SyntheticJobs.Blobs().Train.Count)];
    private static readonly int[] BlobShards = [8, 8, 5, 8, 8];

    [Theory]
    [InlineData("softmax_cross_entropy")]
    [InlineData("mse")]
    public void ComputeShards_SameParameters_MatchTheSimdRunnerWithinTolerance(string lossName)
    {
        var spec = DeviceJobs.Spec();
        var data = SyntheticJobs.Blobs();
        using var model = ModelFactory.Build(spec.Model, data.FeatureCount, Shard);
        model.Initialize(spec.Seed);

        AssertStepMatches(spec.Model, model, data.Train, spec.Seed, BlobIds, BlobShards, loss: lossName);
    }

    [Fact]
    public void ComputeShards_BatchNormAndLayerNorm_MatchTheSimdRunnersGradientsAndBufferChangesWithinTolerance()
    {
        // Five shards' changes of up to 8 rows each, after a dense layer whose GEMM rounds differently: on the CPU
        // accelerator the largest difference is 2.9e-6 on a sum of 9.2, 3e-7 relative.
        AssertBlobStepMatches(DeviceJobs.NormalizationSpec());
    }

    [Fact]
    public void ComputeShards_ImageLayers_MatchTheSimdRunnersGradientsAndBufferChangesWithinTolerance()
    {
        // Five shards through both convolutions, batch norm 2d and dropout2d: on the CPU accelerator the largest difference
        // is 6.4e-7 x (1 + |expected|) for the gradients and 1.4e-7 for the buffer changes.
        AssertBlobStepMatches(DeviceJobs.ConvolutionSpec());
    }

    [Fact]
    public void ComputeShards_TransposedConvolutions_MatchTheSimdRunnersGradientsAndBufferChangesWithinTolerance()
    {
        // Five shards through two transposed convolutions (stride, padding, output padding; dilation without bias), batch
        // norm 2d and a conv2d: on the CPU accelerator the largest difference is 3.6e-6 x (1 + |expected|) for the gradients
        // and 3.5e-7 for the buffer changes.
        AssertBlobStepMatches(DeviceJobs.UpsamplingSpec());
    }

    [Fact]
    public void ComputeShards_DropConnect_MatchTheSimdRunnersGradientsAndBufferChangesWithinTolerance()
    {
        // The synthetic job every CPU test trains: a dense layer with DropConnect, batch norm, a residual block and dropout.
        // Five shards of one step share the dense layer's mask: on the CPU accelerator the largest difference is 1.4e-6 x
        // (1 + |expected|) for the gradients and 2.6e-7 for the buffer changes.
        AssertBlobStepMatches(SyntheticJobs.Spec());
    }

    [Fact]
    public void ComputeShards_LeNet5_MatchTheSimdRunnersGradientsWithinTolerance()
    {
        // LeNet-5 as examples/fashion-mnist-lenet5.yaml writes it, on 784-feature blobs read as 1x28x28 images. Three
        // shards through two convolutions and three dense layers, the conv kernels' tolerance (DeviceConv2dTests): on the
        // CPU accelerator the largest difference is 2.3e-5 on a sum of 79.4, 3e-7 relative.
        var spec = DeviceJobs.Spec();
        spec.Model = JobSpecValidatorImageLayerTests.LeNet().Model;
        var data = SyntheticJobs.Blobs(trainCount: 40, testCount: 10, features: 784, classes: 10);
        using var model = ModelFactory.Build(spec.Model, data.FeatureCount, Shard);
        model.Initialize(spec.Seed);

        AssertStepMatches(spec.Model, model, data.Train, spec.Seed, [.. Enumerable.Range(0, 21).Select(i => (i * 13) % data.Train.Count)],
            [8, 8, 5], tolerance: 3e-5f);
    }

    [Fact]
    public void ComputeShards_BidirectionalGruAndTimeDistributedDense_MatchTheSimdRunnerWithinTolerance()
    {
        AssertBlobStepMatches(DeviceJobs.SequenceSpec());
    }

    [Fact]
    public void ComputeShards_LstmExampleModel_MatchesTheSimdRunnerWithinTolerance()
    {
        // examples/fashion-mnist-lstm.yaml's model (an LSTM over 28 steps of 28 pixels, its final state, then a dense layer
        // of 10 logits) on synthetic images of its shape, two shards of a step. Its hidden size is cut from 128 to 32: the
        // CPU accelerator runs a warp's lanes as threads, and at 128 this one test took 90 s on two cores (28 s at 32). The
        // largest difference of the gradient sums there is 3.0e-7 (2.3e-7 x (1 + |expected|)).
        var spec = JobSpecLoader.LoadFile(Path.Combine(RepositoryRoot.Directory, "examples", "fashion-mnist-lstm.yaml"));
        spec.Model.Layers[0].Lstm.HiddenSize = 32;
        var data = SyntheticJobs.Blobs(trainCount: 20, testCount: 1, features: 784, classes: 10);
        using var model = ModelFactory.Build(spec.Model, data.FeatureCount, Shard);
        model.Initialize(spec.Seed);

        AssertStepMatches(spec.Model, model, data.Train, spec.Seed, [.. Enumerable.Range(0, 13).Select(i => (i * 7) % data.Train.Count)], [8, 5]);
    }

    [Fact]
    public void ComputeShards_TextCharGruExampleModel_MatchesTheSimdRunnerWithinTolerance()
    {
        // examples/text-char-gru.yaml's model (an embedding of its 86 characters, two GRUs giving every step with dropout
        // after each, a dense layer of 86 logits at every step) on windows of 12 random ids whose targets are the next id,
        // three shards of a step, each window 12 rows of the loss weighted 1/12. Its hidden sizes are cut from 256 to 16,
        // as the LSTM example's are, for the CPU accelerator's sake (23 s on two cores). The largest difference of the
        // gradient sums on the CPU accelerator is 2.4e-7, on sums of order 1.
        var spec = JobSpecLoader.LoadFile(Path.Combine(RepositoryRoot.Directory, "examples", "text-char-gru.yaml"));
        spec.Model.Layers[1].Gru.HiddenSize = 16;
        spec.Model.Layers[3].Gru.InputSize = 16;
        spec.Model.Layers[3].Gru.HiddenSize = 16;
        spec.Model.Layers[5].Dense.StepFeatures = 16;
        var data = TextWindows(samples: 30, window: 12, vocabulary: 86, seed: 5);
        using var model = ModelFactory.Build(spec.Model, data.FeatureCount, Shard);
        model.Initialize(spec.Seed);

        AssertStepMatches(spec.Model, model, data, spec.Seed, [.. Enumerable.Range(0, 19).Select(i => (i * 7) % data.Count)], [8, 8, 3]);
    }

    [Fact]
    public void ComputeShards_SoftmaxLayerBeforeMeanSquaredError_MatchesTheSimdRunnerWithinTolerance()
    {
        // The softmax layer (not the fused loss) as the model's last layer, its probabilities scored by mean squared error.
        // The largest difference of the gradient sums on the CPU accelerator is 2.4e-7, on sums of order 1.
        var spec = DeviceJobs.Spec();
        spec.Model.Layers.Add(new LayerSpec { Name = "probs", Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Softmax } });
        var data = SyntheticJobs.Blobs();
        using var model = ModelFactory.Build(spec.Model, data.FeatureCount, Shard);
        model.Initialize(spec.Seed);

        AssertStepMatches(spec.Model, model, data.Train, spec.Seed, BlobIds, BlobShards, loss: "mse");
    }

    /// <summary>
    /// TEXT-shaped data as <see cref="TextCorpus"/> cuts it: <paramref name="samples"/> windows, one character apart, of a
    /// random sequence of ids, the target of each step the id after it.
    /// </summary>
    private static Dataset TextWindows(int samples, int window, int vocabulary, int seed)
    {
        var random = new Random(seed);
        int[] ids = [.. Enumerable.Range(0, samples + window).Select(_ => random.Next(vocabulary))];
        var features = new float[samples * window];
        var labels = new int[samples * window];
        for (int sample = 0; sample < samples; sample++)
        {
            for (int step = 0; step < window; step++)
            {
                features[sample * window + step] = ids[sample + step];
                labels[sample * window + step] = ids[sample + step + 1];
            }
        }
        return Dataset.FromFloats(features, labels, window, vocabulary, window);
    }

    [Fact]
    public void ComputeShards_ResidualAndHighwayBlocks_MatchTheSimdRunnerWithinTolerance()
    {
        // The largest difference of the gradient sums on the CPU accelerator is 3.8e-6 (9.1e-7 x (1 + |expected|)).
        AssertBlobStepMatches(DeviceJobs.SkipSpec());
    }

    [Fact]
    public void ComputeShards_HighwayResidualExampleModel_MatchesTheSimdRunnerWithinTolerance()
    {
        // examples/highway-residual.yaml's model (dense, PReLU, a residual block, layer norm, a highway block, dense) on
        // synthetic 784-feature samples, two shards of a step. The largest difference of the gradient sums on the CPU
        // accelerator is 2.1e-6 (1.1e-6 x (1 + |expected|)).
        var spec = JobSpecLoader.LoadFile(Path.Combine(RepositoryRoot.Directory, "examples", "highway-residual.yaml"));
        var data = SyntheticJobs.Blobs(trainCount: 20, testCount: 1, features: 784, classes: 10);
        using var model = ModelFactory.Build(spec.Model, data.FeatureCount, Shard);
        model.Initialize(spec.Seed);

        AssertStepMatches(spec.Model, model, data.Train, spec.Seed, [.. Enumerable.Range(0, 13).Select(i => (i * 7) % data.Train.Count)], [8, 5]);
    }

    /// <summary>
    /// <see cref="AssertStepMatches"/> for <paramref name="spec"/>'s model on the blobs' five shards, its running statistics
    /// (when it has any) moved away from their initial 0 and 1 first, so that their change depends on them.
    /// </summary>
    private static void AssertBlobStepMatches(JobSpec spec)
    {
        var data = SyntheticJobs.Blobs();
        using var model = ModelFactory.Build(spec.Model, data.FeatureCount, Shard);
        model.Initialize(spec.Seed);
        for (int i = 0; i < model.Store.BufferValues.Length; i++)
        {
            model.Store.BufferValues[i] = 0.5f + (i % 5) * 0.25f;
        }

        AssertStepMatches(spec.Model, model, data.Train, spec.Seed, BlobIds, BlobShards);
    }

    /// <summary>
    /// One step of shards on the SIMD runner and on the device runner: gradient sums and buffer changes within
    /// <paramref name="tolerance"/> x (1 + |expected|), the same correct and sample counts, losses within 1e-5 relative,
    /// everything finite.
    /// </summary>
    private static void AssertStepMatches(ModelSpec modelSpec, Model model, Dataset data, ulong seed, int[] ids, int[] lengths,
        float tolerance = 1e-5f, string loss = "softmax_cross_entropy")
    {
        using var cpu = new MicroShardRunner(modelSpec, model, LossOf(loss), data, seed, Shard, threads: 1);
        using var device = Runner(model, data, seed, loss);
        int bufferCount = model.Store.BufferValues.Length;
        var (cpuGradients, deviceGradients) = (new FixedPointAccumulator(model.Store.Count), new FixedPointAccumulator(model.Store.Count));
        var (cpuBuffers, deviceBuffers) = (new FixedPointAccumulator(bufferCount), new FixedPointAccumulator(bufferCount));
        var (cpuResults, deviceResults) = (new ShardResult[lengths.Length], new ShardResult[lengths.Length]);

        cpu.ComputeShards(3, ids, lengths, cpuGradients, cpuBuffers, cpuResults);
        device.ComputeShards(3, ids, lengths, deviceGradients, deviceBuffers, deviceResults);

        DeviceAssert.Close(Floats(cpuGradients), Floats(deviceGradients), "gradient sums", tolerance);
        if (bufferCount > 0)
        {
            DeviceAssert.Close(Floats(cpuBuffers), Floats(deviceBuffers), "buffer change sums", tolerance);
        }
        for (int shard = 0; shard < lengths.Length; shard++)
        {
            Assert.Equal((cpuResults[shard].Correct, cpuResults[shard].Samples), (deviceResults[shard].Correct, deviceResults[shard].Samples));
            Assert.True(Math.Abs(cpuResults[shard].LossSum - deviceResults[shard].LossSum) <= 1e-5 * (1 + Math.Abs(cpuResults[shard].LossSum)),
                $"shard {shard}: loss {deviceResults[shard].LossSum}, expected {cpuResults[shard].LossSum}");
        }
        Assert.Equal((true, true, -1), (deviceGradients.IsFinite, deviceBuffers.IsFinite, device.FirstNonFiniteShard));
    }

    private static float[] Floats(FixedPointAccumulator sums)
    {
        var values = new float[sums.Length];
        sums.CopyTo(values);
        return values;
    }

    [Fact]
    public void ComputeShards_NaNSampleInThirdShard_NamesThatShardAsTheSimdRunnerDoes()
    {
        var spec = DeviceJobs.Spec();
        var blobs = SyntheticJobs.Blobs();
        var features = new float[blobs.Train.Count * blobs.FeatureCount];
        var labels = new int[blobs.Train.Count];
        blobs.Train.Gather(features, labels, [.. Enumerable.Range(0, blobs.Train.Count)]);
        features[17 * blobs.FeatureCount] = float.NaN;
        var data = Dataset.FromFloats(features, labels, blobs.FeatureCount, blobs.ClassCount);
        using var model = ModelFactory.Build(spec.Model, data.FeatureCount, Shard);
        model.Initialize(spec.Seed);
        using var runner = Runner(model, data, spec.Seed);
        var gradients = new FixedPointAccumulator(model.Store.Count);
        var results = new ShardResult[4];

        // Shards: [0..3], [4..7], [16..19] (holds sample 17), [20..23].
        runner.ComputeShards(0, [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23], [4, 4, 4, 4], gradients, new FixedPointAccumulator(0), results);

        Assert.Equal((false, 2), (gradients.IsFinite, runner.FirstNonFiniteShard));
    }

    [Fact]
    public void ComputeShards_NaNSampleInThirdShardOfABatchNormModel_MarksTheBufferChangesNonFinite()
    {
        var spec = DeviceJobs.NormalizationSpec();
        var blobs = SyntheticJobs.Blobs();
        var features = new float[blobs.Train.Count * blobs.FeatureCount];
        var labels = new int[blobs.Train.Count];
        blobs.Train.Gather(features, labels, [.. Enumerable.Range(0, blobs.Train.Count)]);
        features[17 * blobs.FeatureCount] = float.NaN;
        var data = Dataset.FromFloats(features, labels, blobs.FeatureCount, blobs.ClassCount);
        using var model = ModelFactory.Build(spec.Model, data.FeatureCount, Shard);
        model.Initialize(spec.Seed);
        using var runner = Runner(model, data, spec.Seed);
        var gradients = new FixedPointAccumulator(model.Store.Count);
        var bufferChanges = new FixedPointAccumulator(model.Store.BufferValues.Length);
        var results = new ShardResult[4];

        // Shards: [0..3], [4..7], [16..19] (holds sample 17, whose NaN batch norm spreads over its shard's statistics), [20..23].
        runner.ComputeShards(0, [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23], [4, 4, 4, 4], gradients, bufferChanges, results);

        Assert.Equal((false, 2), (bufferChanges.IsFinite, runner.FirstNonFiniteShard));
    }

    [Fact]
    public void Constructor_LayerWithoutDeviceKernel_ThrowsNamingTheLayer()
    {
        // Every layer kind of the spec has a device kernel; a layer added later without one must be refused by name.
        var data = SyntheticJobs.Blobs();
        using var model = new Model([new HostOnlyLayer("custom", data.FeatureCount)], Shard);
        using var accelerator = DeviceAccelerator.Open(TestDevice.Current);

        var refused = Assert.Throws<UnsupportedOnDeviceException>(
            () => new DeviceShardRunner(accelerator, model, new SoftmaxCrossEntropy(), data.Train, 7, Shard));

        Assert.StartsWith("Layer 'custom' cannot run on a device worker: HostOnlyLayer has no device kernel", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_LayerWithoutDeviceKernelInsideABlock_ThrowsNamingTheNestedLayer()
    {
        var data = SyntheticJobs.Blobs();
        var body = new Sequential("block1", [new Relu("act", data.FeatureCount), new HostOnlyLayer("custom", data.FeatureCount)]);
        using var model = new Model([new Residual("block1", body)], Shard);
        using var accelerator = DeviceAccelerator.Open(TestDevice.Current);

        var refused = Assert.Throws<UnsupportedOnDeviceException>(
            () => new DeviceShardRunner(accelerator, model, new SoftmaxCrossEntropy(), data.Train, 7, Shard));

        Assert.StartsWith("Layer 'block1.custom' cannot run on a device worker: HostOnlyLayer has no device kernel", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>A layer with no device kernel: the identity on the CPU.</summary>
    private sealed class HostOnlyLayer(string name, int size) : Layer(name, size)
    {
        public override int OutputSize => InputSize;

        public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch) =>
            input[..(batch * InputSize)].CopyTo(output);

        public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
            ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
        {
            if (!inputGradient.IsEmpty)
            {
                outputGradient[..(batch * InputSize)].CopyTo(inputGradient);
            }
        }
    }

    [Fact]
    public void Constructor_LossWithoutDeviceKernel_ThrowsNamingTheLoss()
    {
        var spec = DeviceJobs.Spec();
        var data = SyntheticJobs.Blobs();
        using var model = ModelFactory.Build(spec.Model, data.FeatureCount, Shard);
        using var accelerator = DeviceAccelerator.Open(TestDevice.Current);

        var refused = Assert.Throws<UnsupportedOnDeviceException>(
            () => new DeviceShardRunner(accelerator, model, new MultiLabelBinaryCrossEntropy(), data.Train, spec.Seed, Shard));

        Assert.StartsWith("Loss 'multi_label_binary_cross_entropy' has no device kernel", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("normalization")]
    [InlineData("convolution")]
    public void Trainer_OnTheTestDevice_ReachesTheSimdRunsTestAccuracy(string job)
    {
        // With normalization layers, evaluation runs on the CPU model with the running statistics that the device
        // workers' buffer changes moved.
        var spec = job switch
        {
            "normalization" => DeviceJobs.NormalizationSpec(epochs: 4),
            "convolution" => DeviceJobs.ConvolutionSpec(epochs: 4),
            _ => DeviceJobs.Spec(epochs: 4),
        };
        var data = SyntheticJobs.Blobs();
        using var simd = Trainer.Create(spec, data);
        var expected = simd.Run(new RecordingObserver());
        using var device = Trainer.Create(spec, data,
            model => new LocalGradientBackend(spec, data, model, runners: DeviceShardRunners.For(TestDevice.Current)));

        var actual = device.Run(new RecordingObserver());

        // Rounding differences grow over the steps but must not change what the model learns: within 2 points.
        Assert.InRange(actual.TestAccuracy, expected.TestAccuracy - 0.02, expected.TestAccuracy + 0.02);
        Assert.True(expected.TestAccuracy > 0.9, $"the SIMD run reached only {expected.TestAccuracy:P1}");
    }
}
