using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;
using Grpc.Core;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace DistributedTrainer.Worker.Control;

/// <summary>
/// trainer.v1.WorkerControl as the worker serves it, bound the way generated stubs bind (grpc-dotnet finds
/// <see cref="BindService"/> through the attribute, server reflection finds <see cref="Descriptor"/>), but with Step's
/// messages read and written by hand (<see cref="IncomingStepRequest"/>, <see cref="OutgoingStepResponse"/>) so that
/// parameter and gradient pieces are neither parsed into nor built from ByteStrings. The wire is the ordinary
/// messages: the generated client, or any gRPC client, calls it.
/// </summary>
[BindServiceMethod(typeof(WorkerControlServiceBase), nameof(BindService))]
internal abstract class WorkerControlServiceBase
{
    /// <summary>PrepareJob, with the generated messages.</summary>
    public static readonly Method<PrepareJobRequest, PrepareJobResponse> PrepareJobMethod = Unary("PrepareJob", PrepareJobRequest.Parser, PrepareJobResponse.Parser);

    /// <summary>Step, server side: pieces read and written by hand.</summary>
    public static readonly Method<IncomingStepRequest, OutgoingStepResponse> StepMethod = new(MethodType.DuplexStreaming, Descriptor.FullName, "Step",
        ClusterMarshallers.ReadOnly(IncomingStepRequest.Read), ClusterMarshallers.WriteOnly<OutgoingStepResponse>(OutgoingStepResponse.Write));

    /// <summary>Evaluate, with the generated messages.</summary>
    public static readonly Method<EvaluateRequest, EvaluateResponse> EvaluateMethod = Unary("Evaluate", EvaluateRequest.Parser, EvaluateResponse.Parser);

    /// <summary>StopJob, with the generated messages.</summary>
    public static readonly Method<StopJobRequest, StopJobResponse> StopJobMethod = Unary("StopJob", StopJobRequest.Parser, StopJobResponse.Parser);

    /// <summary>The service's descriptor, which server reflection lists.</summary>
    public static ServiceDescriptor Descriptor => WorkerControl.Descriptor;

    /// <summary>Binds the service's methods; grpc-dotnet calls it with a null service and binds by method name.</summary>
    public static void BindService(ServiceBinderBase binder, WorkerControlServiceBase? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(PrepareJobMethod, service is null ? null : service.PrepareJob);
        binder.AddMethod(StepMethod, service is null ? null : service.Step);
        binder.AddMethod(EvaluateMethod, service is null ? null : service.Evaluate);
        binder.AddMethod(StopJobMethod, service is null ? null : service.StopJob);
    }

    /// <summary>Makes this worker a rank of a job's ring (cluster.proto).</summary>
    public abstract Task<PrepareJobResponse> PrepareJob(PrepareJobRequest request, ServerCallContext context);

    /// <summary>One step: the header and parameter pieces in, the gradient pieces and the result out (cluster.proto).</summary>
    public abstract Task Step(IAsyncStreamReader<IncomingStepRequest> requests, IServerStreamWriter<OutgoingStepResponse> responses, ServerCallContext context);

    /// <summary>Loss and accuracy over chunks of a split (cluster.proto).</summary>
    public abstract Task<EvaluateResponse> Evaluate(EvaluateRequest request, ServerCallContext context);

    /// <summary>Forgets a job (cluster.proto).</summary>
    public abstract Task<StopJobResponse> StopJob(StopJobRequest request, ServerCallContext context);

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string name, Google.Protobuf.MessageParser<TRequest> request,
        Google.Protobuf.MessageParser<TResponse> response)
        where TRequest : class, Google.Protobuf.IMessage<TRequest>
        where TResponse : class, Google.Protobuf.IMessage<TResponse> =>
        new(MethodType.Unary, Descriptor.FullName, name, ClusterMarshallers.Protobuf(request), ClusterMarshallers.Protobuf(response));
}
