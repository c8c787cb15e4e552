using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Coordinator.Sweeps;

/// <summary>
/// One hyper-parameter sweep, keyed by its sweep id: submits its trials as jobs, follows their epochs, stops the
/// unpromising ones and persists every step. A sweep never submitted answers null (and an empty watch).
/// </summary>
public interface ISweepGrain : IGrainWithStringKey
{
    /// <summary>Creates the sweep from a spec already validated and starts it; throws <see cref="InvalidOperationException"/> when the id is taken.</summary>
    Task<Sweep> Submit(SweepSpec spec);

    /// <summary>The sweep as it is now.</summary>
    Task<Sweep?> Get();

    /// <summary>Starts no more trials and cancels the running ones.</summary>
    Task<Sweep?> Cancel();

    /// <summary>The sweep's events: first the snapshot, then every change until it ends.</summary>
    IAsyncEnumerable<SweepEvent> Watch(CancellationToken cancellation = default);
}
