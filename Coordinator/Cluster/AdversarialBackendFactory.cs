using DistributedTrainer.Data;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training.Adversarial;

namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// Builds the backend that computes one GAN job's steps on its leased workers (<paramref name="pool"/>), over the
/// master <paramref name="generator"/> and <paramref name="discriminator"/>; as <see cref="ClusterBackendFactory"/> is
/// for other jobs.
/// </summary>
internal delegate IAdversarialBackend AdversarialBackendFactory(string jobId, JobSpec spec, LoadedData data, Model generator,
    Model discriminator, IWorkerPool pool, Action<string> onEvent);
