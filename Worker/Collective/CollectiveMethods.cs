using DistributedTrainer.Protos.V1;
using DistributedTrainer.Rpc;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace DistributedTrainer.Worker.Collective;

/// <summary>The client-side methods of trainer.v1.Collective.</summary>
internal static class CollectiveMethods
{
    public static readonly ServiceDescriptor Service = CollectiveReflection.Descriptor.FindTypeByName<ServiceDescriptor>("Collective");

    public static readonly Method<RingChunk, RingExchangeSummary> Exchange = new(Service.FindMethodByName("Exchange"));
}
