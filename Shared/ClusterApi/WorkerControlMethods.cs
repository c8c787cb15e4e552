using DistributedTrainer.Protos.V1;
using DistributedTrainer.Rpc;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace DistributedTrainer.ClusterApi;

/// <summary>The methods of trainer.v1.WorkerControl, which every worker serves to the coordinator.</summary>
public static class WorkerControlMethods
{
    /// <summary>
    /// Trailer of an ABORTED Step: the ring rank the worker could not hear from or send to (decimal), so the
    /// coordinator drops that peer rather than the worker that reported it.
    /// </summary>
    public const string PeerRankTrailer = "ring-peer-rank";

    /// <summary>Trailer of an ABORTED Step: the piece that failed, e.g. "reduce-scatter chunk 2".</summary>
    public const string RingPieceTrailer = "ring-piece";

    /// <summary>
    /// Trailer of an ABORTED Step: where in the step the ring failed, "PHASE ROUND" with PHASE 0 for the parameter
    /// all-gather and 1 for the gradient reduce-scatter. A silent rank makes every rank behind it fail in turn; the
    /// report from the earliest position names the rank that started it.
    /// </summary>
    public const string RingPositionTrailer = "ring-position";

    public static readonly ServiceDescriptor Service = ClusterReflection.Descriptor.FindTypeByName<ServiceDescriptor>("WorkerControl");

    public static readonly Method<PrepareJobRequest, PrepareJobResponse> PrepareJob = new(Service.FindMethodByName("PrepareJob"));

    public static readonly Method<StepRequest, StepResponse> Step = new(Service.FindMethodByName("Step"));

    public static readonly Method<EvaluateRequest, EvaluateResponse> Evaluate = new(Service.FindMethodByName("Evaluate"));

    public static readonly Method<StopJobRequest, StopJobResponse> StopJob = new(Service.FindMethodByName("StopJob"));
}
