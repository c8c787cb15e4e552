namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>A registered worker as a job's backend uses it.</summary>
/// <param name="Id">Registry id ("w-3" or the worker's name); errors and events name the worker by it.</param>
/// <param name="Address">Where the worker serves WorkerControl and Collective, e.g. <c>http://10.0.0.7:6000</c>.</param>
/// <param name="Threads">Kernel threads the worker registered with; sent with PrepareJob.</param>
internal sealed record WorkerEndpoint(string Id, Uri Address, int Threads);
