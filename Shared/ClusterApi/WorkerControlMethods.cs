using DistributedTrainer.Protos.V1;
using DistributedTrainer.Rpc;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace DistributedTrainer.ClusterApi;

/// <summary>The methods of trainer.v1.WorkerControl, which every worker serves to the coordinator.</summary>
public static class WorkerControlMethods
{
    public static readonly ServiceDescriptor Service = ClusterReflection.Descriptor.FindTypeByName<ServiceDescriptor>("WorkerControl");

    public static readonly Method<PrepareJobRequest, PrepareJobResponse> PrepareJob = new(Service.FindMethodByName("PrepareJob"));

    public static readonly Method<StepRequest, StepResponse> Step = new(Service.FindMethodByName("Step"));

    public static readonly Method<EvaluateRequest, EvaluateResponse> Evaluate = new(Service.FindMethodByName("Evaluate"));

    public static readonly Method<StopJobRequest, StopJobResponse> StopJob = new(Service.FindMethodByName("StopJob"));
}
