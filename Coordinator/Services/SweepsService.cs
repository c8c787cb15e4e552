using DistributedTrainer.Coordinator.Sweeps;
using DistributedTrainer.Data;
using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Sweeps;
using DistributedTrainer.Training;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using SweepsRpc = DistributedTrainer.Protos.V1.Sweeps;

namespace DistributedTrainer.Coordinator.Services;

/// <summary>
/// trainer.v1.Sweeps over the sweep grains: checks the sweep (the data roots, the sweep spec with every trial extreme,
/// the base spec against its data), calls the grain, maps failures to a status.
/// </summary>
internal sealed class SweepsService(IGrainFactory grains, SweepIndex index, DataRoots dataRoots, CallerQuotas quotas, ILogger<SweepsService> logger)
    : SweepsRpc.SweepsBase
{
    public override async Task<SubmitSweepResponse> SubmitSweep(SubmitSweepRequest request, ServerCallContext context)
    {
        if (request.Spec?.Base is not { } baseSpec)
        {
            throw JobsErrors.InvalidArgument(request.Spec is null ? "spec: required" : "base: required (the job spec every trial starts from)");
        }
        // Before anything touches the disk: a refused path must not even tell whether it exists.
        var refusals = dataRoots.Check(baseSpec);
        if (refusals.Count > 0)
        {
            string reasons = string.Join("\n", refusals.Select(refusal => "base." + refusal));
            CoordinatorLog.SpecRejected(logger, reasons);
            throw JobsErrors.PermissionDenied(reasons);
        }
        var unsupported = JobSpecValidator.ValidateForSweep(baseSpec);
        if (!unsupported.IsValid)
        {
            CoordinatorLog.SpecRejected(logger, unsupported.ToString());
            throw JobsErrors.InvalidArgument("base." + unsupported);
        }
        var result = SweepSpecValidator.Validate(request.Spec, JobLimits.Default);
        if (!result.IsValid)
        {
            CoordinatorLog.SpecRejected(logger, result.ToString());
            throw JobsErrors.InvalidArgument(result.ToString());
        }
        try
        {
            // The base spec against its data set (feature and class counts), as a job's submission checks it.
            await Task.Run(() => JobInput.FromSpec(baseSpec), context.CancellationToken);
        }
        catch (JobInputException invalid)
        {
            CoordinatorLog.SpecRejected(logger, invalid.Message);
            throw JobsErrors.InvalidArgument("base: " + invalid.Message);
        }
        string sweepId = SweepIds.New();
        await grains.GetGrain<ISweepGrain>(sweepId).Submit(request.Spec);
        return new SubmitSweepResponse { SweepId = sweepId };
    }

    public override async Task<Sweep> GetSweep(GetSweepRequest request, ServerCallContext context) =>
        await Grain(request.SweepId).Get() ?? throw NotFound(request.SweepId);

    public override async Task<ListSweepsResponse> ListSweeps(ListSweepsRequest request, ServerCallContext context)
    {
        if (request.Limit < 0)
        {
            throw JobsErrors.InvalidArgument($"limit: must be >= 0, got {request.Limit}");
        }
        var sweeps = await index.ListAsync();
        var response = new ListSweepsResponse();
        response.Sweeps.AddRange(request.Limit > 0 ? sweeps.Take(request.Limit) : sweeps);
        return response;
    }

    public override async Task WatchSweep(WatchSweepRequest request, IServerStreamWriter<SweepEvent> responses, ServerCallContext context)
    {
        var grain = Grain(request.SweepId);
        using var slot = quotas.OpenWatch(CallerQuotas.CallerOf(context));
        _ = await grain.Get() ?? throw NotFound(request.SweepId);
        await foreach (var sweepEvent in grain.Watch(context.CancellationToken))
        {
            await responses.WriteAsync(sweepEvent, context.CancellationToken);
        }
    }

    public override async Task<Sweep> CancelSweep(CancelSweepRequest request, ServerCallContext context) =>
        await Grain(request.SweepId).Cancel() ?? throw NotFound(request.SweepId);

    private ISweepGrain Grain(string sweepId) => SweepIds.IsWellFormed(sweepId) ? grains.GetGrain<ISweepGrain>(sweepId) : throw NotFound(sweepId);

    private static RpcException NotFound(string sweepId) =>
        new(new Status(StatusCode.NotFound, $"Sweep '{(sweepId.Length <= 64 ? sweepId : sweepId[..64] + "...")}' not found."));
}
