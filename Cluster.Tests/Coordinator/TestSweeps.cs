using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Sweeps;
using DistributedTrainer.Transport;
using Grpc.Core;
using SweepsRpc = DistributedTrainer.Protos.V1.Sweeps;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>Sweeps over <see cref="TestJobs"/>' CSV problem, and the calls the sweep tests make.</summary>
internal static class TestSweeps
{
    /// <summary>
    /// Learning rate (log 1e-4..0.3) and width ({2, 8, 32}) at random, minimizing test loss (continuous, so ASHA has no
    /// ties to keep), ASHA from epoch 1 with factor 3 over <paramref name="epochs"/> epochs.
    /// </summary>
    public static SweepSpec Asha(string directory, int trials, int concurrent, int epochs = 9, int trainRows = 200) => new()
    {
        Name = "csv-sweep",
        Base = TestJobs.Spec(directory, epochs, trainRows: trainRows),
        Parameters =
        {
            new ParameterSpec { Path = "optimizer.learning_rate", LogUniform = new RangeSpec { Min = 1e-4, Max = 0.3 } },
            new ParameterSpec { Path = "model.layers[0].dense.units", Choice = SweepSpecs.Values(2, 8, 32) },
        },
        Objective = new ObjectiveSpec { Metric = "test_loss" },
        Sampler = SweepSpec.Types.Sampler.Random,
        Scheduler = new SchedulerSpec { Kind = SchedulerSpec.Types.Kind.Asha, GracePeriod = 1, ReductionFactor = 3 },
        MaxTrials = trials,
        MaxConcurrentTrials = concurrent,
        Seed = 17,
    };

    public static async Task<string> SubmitAsync(Uri coordinator, SweepSpec spec)
    {
        using var channel = GrpcChannels.Create(coordinator);
        return (await new SweepsRpc.SweepsClient(channel).SubmitSweepAsync(new SubmitSweepRequest { Spec = spec }, Deadline())).SweepId;
    }

    /// <summary>Watches the sweep to its end and returns every event, the snapshot first.</summary>
    public static async Task<List<SweepEvent>> WatchToEndAsync(Uri coordinator, string sweepId)
    {
        using var channel = GrpcChannels.Create(coordinator);
        using var call = new SweepsRpc.SweepsClient(channel).WatchSweep(new WatchSweepRequest { SweepId = sweepId }, Deadline());
        var events = new List<SweepEvent>();
        await foreach (var sweepEvent in call.ResponseStream.ReadAllAsync())
        {
            events.Add(sweepEvent);
        }
        return events;
    }

    public static async Task<Sweep> GetAsync(Uri coordinator, string sweepId)
    {
        using var channel = GrpcChannels.Create(coordinator);
        return await new SweepsRpc.SweepsClient(channel).GetSweepAsync(new GetSweepRequest { SweepId = sweepId }, Deadline());
    }

    public static CallOptions Deadline() => new(deadline: DateTime.UtcNow + TimeSpan.FromSeconds(300));
}
