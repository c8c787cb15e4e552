using DistributedTrainer.Data;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;

namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// Builds the gradient backend that computes one job's steps and evaluations on its leased workers
/// (<paramref name="pool"/>, which also takes failed workers out and lets new ones join); <paramref name="onEvent"/> receives notable events in words, for the
/// job's watchers. The scheduler depends on this seam, not on the gRPC backend, so it is tested without workers.
/// </summary>
internal delegate IGradientBackend ClusterBackendFactory(string jobId, JobSpec spec, LoadedData data, Model model,
    IWorkerPool pool, Action<string> onEvent);
