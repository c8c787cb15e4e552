using DistributedTrainer.Protos.V1;
using DistributedTrainer.Rpc;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace DistributedTrainer.ClusterApi;

/// <summary>The methods of trainer.v1.Cluster, which the coordinator serves to workers.</summary>
public static class ClusterMethods
{
    public static readonly ServiceDescriptor Service = ClusterReflection.Descriptor.FindTypeByName<ServiceDescriptor>("Cluster");

    public static readonly Method<RegisterWorkerRequest, RegisterWorkerResponse> Register = new(Service.FindMethodByName("Register"));

    public static readonly Method<HeartbeatRequest, HeartbeatResponse> Heartbeat = new(Service.FindMethodByName("Heartbeat"));
}
