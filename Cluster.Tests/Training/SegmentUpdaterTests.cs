using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Optimizers;
using DistributedTrainer.Numerics.Regularization;
using DistributedTrainer.Numerics.Schedules;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using DistributedTrainer.Training.Collective;
using Xunit;
using Kind = DistributedTrainer.Protos.V1.OptimizerSpec.Types.Kind;

namespace DistributedTrainer.Tests.Training;

/// <summary>
/// Workers that repeat the coordinator's update on their ring segments (StepHeader.segment_update) hold bit for bit the
/// segments of the coordinator's master after every step, for every optimizer, regularizer and clipping.
/// </summary>
public sealed class SegmentUpdaterTests
{
    private const int Features = 6;

    private static readonly int[] RingSizes = [1, 2, 3, 5];

    public static TheoryData<string> Cases => new()
    {
        "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "rmsprop-momentum", "adadelta", "adam", "adamw",
        "adam-l1", "sgd-elastic-net", "rmsprop-clip-value", "adamw-l2-frozen", "momentum-decay-global-norm",
    };

    private static JobSpec SpecFor(string name)
    {
        var spec = SyntheticJobs.Spec();
        spec.Regularization = null;
        // A small norm so that most steps are clipped.
        spec.Clipping = new ClippingSpec { MaxGlobalNorm = 0.5f };
        spec.Optimizer = name.Split('-')[0] switch
        {
            "sgd" => new OptimizerSpec { Kind = Kind.Sgd, LearningRate = 0.1f },
            "momentum" => new OptimizerSpec { Kind = Kind.Momentum, LearningRate = 0.05f },
            "nesterov" => new OptimizerSpec { Kind = Kind.Nesterov, LearningRate = 0.05f },
            "adagrad" => new OptimizerSpec { Kind = Kind.Adagrad, LearningRate = 0.05f, InitialAccumulator = 0.1f },
            "rmsprop" => new OptimizerSpec { Kind = Kind.Rmsprop, LearningRate = 0.01f },
            "adadelta" => new OptimizerSpec { Kind = Kind.Adadelta },
            "adam" => new OptimizerSpec { Kind = Kind.Adam, LearningRate = 0.01f },
            "adamw" => new OptimizerSpec { Kind = Kind.Adamw, LearningRate = 0.01f },
            _ => throw new ArgumentException(name),
        };
        if (name == "rmsprop-momentum")
        {
            spec.Optimizer.Momentum = 0.9f;
        }
        if (name.EndsWith("-l1", StringComparison.Ordinal))
        {
            spec.Regularization = new RegularizationSpec { L1 = 1e-3f };
        }
        if (name.Contains("elastic-net", StringComparison.Ordinal))
        {
            spec.Regularization = new RegularizationSpec { L1 = 1e-3f, L2 = 1e-2f };
        }
        if (name.Contains("-l2", StringComparison.Ordinal))
        {
            spec.Regularization = new RegularizationSpec { L2 = 1e-2f };
        }
        if (name.EndsWith("clip-value", StringComparison.Ordinal))
        {
            spec.Clipping = new ClippingSpec { ClipValue = 0.05f };
        }
        if (name.Contains("-decay", StringComparison.Ordinal))
        {
            spec.Optimizer.WeightDecay = 0.01f;
            spec.Clipping.ClipValue = 0.2f;
        }
        if (name.EndsWith("-frozen", StringComparison.Ordinal))
        {
            spec.Transfer = new TransferSpec { Freeze = { "block" } };
        }
        return spec;
    }

    private static Model Build(JobSpec spec)
    {
        var model = ModelFactory.Build(spec.Model, Features, 8);
        model.Initialize(7);
        if (spec.Transfer is { } transfer)
        {
            model.Freeze(transfer.Freeze);
        }
        return model;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Apply_OnEverySegmentOfRingsOfOneToFiveRanks_HoldsTheMastersSegmentsBitForBit(string name)
    {
        var spec = SpecFor(name);
        using var master = Build(spec);
        var store = master.Store;
        var optimizer = OptimizerFactory.Create(spec.Optimizer, store.Count);
        var updater = new ParameterUpdater(store, optimizer,
            ScheduleFactory.Create(spec.Schedule, OptimizerFactory.BaseLearningRate(spec.Optimizer), 40),
            RegularizerFactory.Create(spec.Regularization), spec.Clipping);
        int flat = store.Count + store.BufferValues.Length;
        Assert.True(store.BufferValues.Length > 0, "the model has buffers, so segments cut across the parameter/buffer boundary");
        var rings = RingSizes.Select(size => Enumerable.Range(0, size).Select(rank => new Worker(spec, store, size, rank)).ToArray()).ToArray();
        var random = new Random(5);
        var gradient = new StepGradient(store.Count, store.BufferValues.Length);
        var mean = new float[flat];
        int clipped = 0;
        for (long step = 0; step < 6; step++)
        {
            gradient.Reset();
            for (int i = 0; i < flat; i++)
            {
                mean[i] = (float)((random.NextDouble() - 0.5) * (step + 1) * 0.3);
            }
            mean.AsSpan(0, store.Count).CopyTo(gradient.Gradient);
            mean.AsSpan(store.Count).CopyTo(gradient.BufferChange);
            if (step == 3)
            {
                // A skipped step: the workers are told so and leave their segments alone.
                gradient.MarkNonFinite(4);
            }
            var update = updater.Apply(step, gradient);
            Assert.Equal(step != 3, update.Applied);
            clipped += update.Applied && update.ClipScale != 1f ? 1 : 0;
            foreach (var worker in rings.SelectMany(ring => ring))
            {
                worker.Apply(mean, update, optimizer.StepCount);
            }
            var expected = new float[flat];
            store.Values.CopyTo(expected);
            store.BufferValues.CopyTo(expected.AsSpan(store.Count));
            foreach (var worker in rings.SelectMany(ring => ring))
            {
                Assert.True(worker.Segment.SequenceEqual(expected.AsSpan(worker.Start, worker.Length)),
                    $"{name}: rank {worker.Rank} of {worker.Size} differs from the master after step {step}");
            }
        }
        if (spec.Clipping.MaxGlobalNorm > 0f)
        {
            Assert.True(clipped > 0, "some steps were clipped by the global norm");
        }
    }

    [Fact]
    public void Create_SegmentPastTheFlatVector_ThrowsNamingTheSegment()
    {
        var spec = SpecFor("adam");
        using var model = Build(spec);
        int flat = model.Store.Count + model.Store.BufferValues.Length;

        var error = Assert.Throws<ArgumentException>(() => new SegmentUpdater(model.Store, spec, flat - 2, 3));

        Assert.Contains($"[{flat - 2}, {flat + 1})", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_SecondHalfOfARing_KeepsTheStateOfItsTrainableParametersOnly()
    {
        var spec = SpecFor("adam");
        using var model = Build(spec);
        int flat = model.Store.Count + model.Store.BufferValues.Length;
        var (start, length) = RingSegments.Range(flat, 2, 1);

        var updater = new SegmentUpdater(model.Store, spec, start, length);

        // The segment ends with the buffers, which have no optimizer state.
        Assert.Equal((start, model.Store.Count - start), (updater.Optimizer.StateStart, updater.Optimizer.StateLength));
        Assert.All(updater.Optimizer.State.Values, vector => Assert.Equal(model.Store.Count - start, vector.Length));
    }

    /// <summary>One rank's copy: its own model (for the layout and frozen flags), flat vector and updater.</summary>
    private sealed class Worker
    {
        private readonly float[] _parameters;
        private readonly SegmentUpdater _updater;

        public Worker(JobSpec spec, ParameterStore master, int size, int rank)
        {
            using var model = Build(spec);
            _parameters = new float[master.Count + master.BufferValues.Length];
            master.Values.CopyTo(_parameters);
            master.BufferValues.CopyTo(_parameters.AsSpan(master.Count));
            (Size, Rank) = (size, rank);
            (Start, Length) = RingSegments.Range(_parameters.Length, size, rank);
            _updater = new SegmentUpdater(model.Store, spec, Start, Length);
        }

        public int Size { get; }

        public int Rank { get; }

        public int Start { get; }

        public int Length { get; }

        public ReadOnlySpan<float> Segment => _parameters.AsSpan(Start, Length);

        public void Apply(float[] mean, UpdateResult update, long optimizerStep)
        {
            if (!update.Applied)
            {
                return;
            }
            // Only the segment is this worker's; the rest of its gradient copy is garbage it must not read.
            var gradient = new float[mean.Length];
            gradient.AsSpan().Fill(float.NaN);
            mean.AsSpan(Start, Length).CopyTo(gradient.AsSpan(Start));
            _updater.Apply(_parameters, gradient, update.LearningRate, update.ClipScale, optimizerStep);
        }
    }
}
