using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;
using Grpc.Core;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// trainer.v1.Collective as the worker serves it, bound the way generated stubs bind (grpc-dotnet finds
/// <see cref="BindService"/> through the attribute, server reflection finds <see cref="Descriptor"/>), but with the
/// chunk written from where its payload lies (<see cref="OutgoingRingChunk"/>) instead of from a RingChunk whose
/// payload would be a fresh array per piece. The wire is the ordinary message: any gRPC client can subscribe.
/// </summary>
[BindServiceMethod(typeof(CollectiveServiceBase), nameof(BindService))]
internal abstract class CollectiveServiceBase
{
    /// <summary>Subscribe, server side: the subscription as the generated message, chunks written by hand.</summary>
    public static readonly Method<RingSubscription, OutgoingRingChunk> SubscribeMethod = new(MethodType.ServerStreaming,
        Descriptor.FullName, "Subscribe", ClusterMarshallers.Protobuf(RingSubscription.Parser), ClusterMarshallers.WriteOnly<OutgoingRingChunk>(OutgoingRingChunk.Write));

    /// <summary>The service's descriptor, which server reflection lists.</summary>
    public static ServiceDescriptor Descriptor => Protos.V1.Collective.Descriptor;

    /// <summary>Binds the service's methods; grpc-dotnet calls it with a null service and binds by method name.</summary>
    public static void BindService(ServiceBinderBase binder, CollectiveServiceBase? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(SubscribeMethod, service is null ? null : service.Subscribe);
    }

    /// <summary>The next rank's stream of this rank's chunks to it (collective.proto).</summary>
    public abstract Task Subscribe(RingSubscription request, IServerStreamWriter<OutgoingRingChunk> responses, ServerCallContext context);
}
