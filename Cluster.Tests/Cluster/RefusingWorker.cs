using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Worker;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DistributedTrainer.Tests.Cluster;

/// <summary>
/// A WorkerControl server on 127.0.0.1 (the generated service base) that refuses every job with INVALID_ARGUMENT, as
/// a worker does whose node cannot read the job's dataset; it accepts StopJob.
/// </summary>
internal sealed class RefusingWorker : IAsyncDisposable
{
    private readonly LoopbackGrpcServer _server;

    private RefusingWorker(LoopbackGrpcServer server) => _server = server;

    public Uri Address => _server.Address;

    public static async Task<RefusingWorker> StartAsync(string detail) =>
        new(await LoopbackGrpcServer.StartAsync(services => services.AddSingleton(new Refusing(detail)), app => app.MapGrpcService<Refusing>()));

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private sealed class Refusing(string detail) : WorkerControl.WorkerControlBase
    {
        public override Task<PrepareJobResponse> PrepareJob(PrepareJobRequest request, ServerCallContext context) =>
            throw new RpcException(new Status(StatusCode.InvalidArgument, detail));

        public override Task<StopJobResponse> StopJob(StopJobRequest request, ServerCallContext context) => Task.FromResult(new StopJobResponse());
    }
}
