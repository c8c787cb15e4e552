using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;
using Grpc.Core;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// trainer.v1.Collective as the worker serves it, bound the way generated stubs bind (grpc-dotnet finds
/// <see cref="BindService"/> through the attribute, server reflection finds <see cref="Descriptor"/>), but with the
/// chunk read from its serialized bytes (<see cref="IncomingRingChunk"/>) instead of into a RingChunk whose payload
/// would be a fresh array per piece. The wire is the ordinary message: any gRPC client can send it.
/// </summary>
[BindServiceMethod(typeof(CollectiveServiceBase), nameof(BindService))]
internal abstract class CollectiveServiceBase
{
    /// <summary>Exchange, server side: chunks read by hand, the summary as the generated message.</summary>
    public static readonly Method<IncomingRingChunk, RingExchangeSummary> ExchangeMethod = new(MethodType.ClientStreaming,
        Descriptor.FullName, "Exchange", ClusterMarshallers.ReadOnly(IncomingRingChunk.Read), ClusterMarshallers.Protobuf(RingExchangeSummary.Parser));

    /// <summary>The service's descriptor, which server reflection lists.</summary>
    public static ServiceDescriptor Descriptor => Protos.V1.Collective.Descriptor;

    /// <summary>Binds the service's methods; grpc-dotnet calls it with a null service and binds by method name.</summary>
    public static void BindService(ServiceBinderBase binder, CollectiveServiceBase? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(ExchangeMethod, service is null ? null : service.Exchange);
    }

    /// <summary>One rank's stream of chunks to this one (collective.proto).</summary>
    public abstract Task<RingExchangeSummary> Exchange(IAsyncStreamReader<IncomingRingChunk> requests, ServerCallContext context);
}
