namespace DistributedTrainer.Coordinator.Grains;

/// <summary>Where the coordinator's Orleans silo finds its cluster (<c>--orleans-hosting</c>).</summary>
internal enum SiloHosting
{
    /// <summary>Localhost clustering on a free loopback port: a laptop, a test, a single machine. The default.</summary>
    Localhost,

    /// <summary>
    /// Orleans' Kubernetes hosting: the silo is named after its pod and advertised on the pod's IP (the Helm chart sets
    /// POD_NAME, POD_NAMESPACE, POD_IP, ORLEANS_SERVICE_ID and ORLEANS_CLUSTER_ID); silos whose pod is gone are declared
    /// dead. The coordinator is one replica, so its silo is its own primary.
    /// </summary>
    Kubernetes,
}
