using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Coordinator.Jobs;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>What a job grain needs to run its job, one instance per coordinator.</summary>
/// <param name="Queue">Places jobs on workers, in order.</param>
/// <param name="Registry">The workers (a running job leases more from it as they join).</param>
/// <param name="ClusterBackends">Builds the gradient backend of a job placed on workers.</param>
/// <param name="AdversarialBackends">Builds the backend of a GAN job placed on workers.</param>
/// <param name="Paths">The state directory.</param>
/// <param name="Inputs">Data sets the Jobs service already loaded.</param>
/// <param name="Shutdown">Stops the runs when the coordinator stops.</param>
/// <param name="Clock">Event and state times.</param>
/// <param name="Logger">Job submitted, started, resumed, ended and failed messages.</param>
internal sealed record JobRunServices(JobQueue Queue, WorkerRegistry Registry, ClusterBackendFactory ClusterBackends,
    AdversarialBackendFactory AdversarialBackends, CoordinatorPaths Paths, JobInputs Inputs, JobRunShutdown Shutdown, TimeProvider Clock, ILogger Logger);
