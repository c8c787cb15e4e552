using DistributedTrainer.Data;
using Xunit;
using DistributedTrainer.Numerics;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Losses;
using DistributedTrainer.Numerics.Optimizers;
using DistributedTrainer.Numerics.Regularization;
using DistributedTrainer.Numerics.Schedules;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;

namespace DistributedTrainer.Tests.Training;

// Measures process-wide allocation, so it must not run beside other tests.
[Collection(ComputeThreadsCollection.Name)]
public sealed class MicroShardRunnerTests
{
    private const int Batch = 40;

    private sealed class Setup : IDisposable
    {
        public Setup(int engines, int shard = 8)
        {
            Spec = SyntheticJobs.Spec(shard: shard);
            var data = SyntheticJobs.Blobs();
            Model = ModelFactory.Build(Spec.Model, data.FeatureCount, shard);
            Model.Initialize(Spec.Seed);
            var loss = LossFactory.Create(Spec.Loss.Kind);
            Runner = new MicroShardRunner(Spec.Model, Model, loss, data.Train, Spec.Seed, shard, engines);
            Gradients = new FixedPointAccumulator(Model.Store.Count);
            Buffers = new FixedPointAccumulator(Model.Store.BufferValues.Length);
            _mean = new StepGradient(Model.Store.Count, Model.Store.BufferValues.Length);
            Updater = new ParameterUpdater(Model.Store, OptimizerFactory.Create(Spec.Optimizer, Model.Store.Count),
                ScheduleFactory.Create(Spec.Schedule, OptimizerFactory.BaseLearningRate(Spec.Optimizer), 100),
                RegularizerFactory.Create(Spec.Regularization), Spec.Clipping);
            Ids = [.. Enumerable.Range(0, Batch).Select(i => (i * 37) % data.Train.Count)];
        }

        public JobSpec Spec { get; }

        public Model Model { get; }

        public MicroShardRunner Runner { get; }

        public FixedPointAccumulator Gradients { get; }

        public FixedPointAccumulator Buffers { get; }

        private readonly StepGradient _mean;

        public ParameterUpdater Updater { get; }

        public int[] Ids { get; }

        public ShardResult Step(long step)
        {
            Gradients.Clear();
            Buffers.Clear();
            var result = Runner.Compute(step, Ids, Gradients, Buffers);
            _mean.Average(Gradients, Buffers, Batch);
            Updater.Apply(step, _mean);
            return result;
        }

        public void Dispose()
        {
            Runner.Dispose();
            Model.Dispose();
        }
    }

    [Fact]
    public void Compute_OneTwoAndThreeEngines_GiveBitwiseIdenticalSumsAndResults()
    {
        var outcomes = new List<(long[] Gradients, long[] Buffers, ShardResult Result, float[] Parameters)>();
        foreach (int engines in new[] { 1, 2, 3 })
        {
            using var setup = new Setup(engines);
            ShardResult result = default;
            for (long step = 0; step < 3; step++)
            {
                result = setup.Step(step);
            }
            outcomes.Add((setup.Gradients.Values.ToArray(), setup.Buffers.Values.ToArray(), result,
                setup.Model.Store.Values.ToArray()));
        }

        foreach (var other in outcomes.Skip(1))
        {
            Assert.Equal(outcomes[0].Gradients, other.Gradients);
            Assert.Equal(outcomes[0].Buffers, other.Buffers);
            Assert.Equal(outcomes[0].Result, other.Result);
            Assert.Equal(outcomes[0].Parameters, other.Parameters);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void ComputeShards_NaNSampleInThirdShard_NamesThatShard(int engines)
    {
        var spec = SyntheticJobs.Spec(shard: 4);
        var blobs = SyntheticJobs.Blobs();
        var features = new float[blobs.Train.Count * blobs.FeatureCount];
        var labels = new int[blobs.Train.Count];
        blobs.Train.Gather(features, labels, [.. Enumerable.Range(0, blobs.Train.Count)]);
        features[17 * blobs.FeatureCount] = float.NaN;
        var data = Dataset.FromFloats(features, labels, blobs.FeatureCount, blobs.ClassCount);
        using var model = ModelFactory.Build(spec.Model, data.FeatureCount, 4);
        model.Initialize(spec.Seed);
        using var runner = new MicroShardRunner(spec.Model, model, LossFactory.Create(spec.Loss.Kind), data, spec.Seed, 4, engines);
        var gradients = new FixedPointAccumulator(model.Store.Count);
        var buffers = new FixedPointAccumulator(model.Store.BufferValues.Length);
        var results = new ShardResult[4];

        // Shards: [0..3], [4..7], [16..19] (holds sample 17), [20..23].
        runner.ComputeShards(0, [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23], [4, 4, 4, 4], gradients, buffers, results);

        Assert.False(gradients.IsFinite);
        Assert.Equal(2, runner.FirstNonFiniteShard);
    }

    // Counted on this thread only: other tests' servers and timers allocate on theirs meanwhile. With one
    // engine the whole step runs here.
    [Fact]
    public void Step_SteadyState_AllocatesNothing()
    {
        int saved = ComputeThreads.Count;
        ComputeThreads.Count = 1;
        try
        {
            using var setup = new Setup(1);
            for (long step = 0; step < 5; step++)
            {
                setup.Step(step);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (long step = 5; step < 25; step++)
            {
                setup.Step(step);
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Equal(0, allocated);
        }
        finally
        {
            ComputeThreads.Count = saved;
        }
    }
}
