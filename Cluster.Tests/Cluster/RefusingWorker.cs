using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Rpc;

namespace DistributedTrainer.Tests.Cluster;

/// <summary>
/// A WorkerControl server on 127.0.0.1 that refuses every job with INVALID_ARGUMENT, as a worker does whose node cannot
/// read the job's dataset; it accepts StopJob.
/// </summary>
internal sealed class RefusingWorker : IAsyncDisposable
{
    private readonly GrpcHost _host;

    private RefusingWorker(GrpcHost host) => _host = host;

    public Uri Address => _host.Address;

    public static async Task<RefusingWorker> StartAsync(string detail)
    {
        var router = new GrpcRouter();
        router.AddService(new GrpcServiceBuilder(WorkerControlMethods.Service)
            .Unary<PrepareJobRequest, PrepareJobResponse>("PrepareJob", (_, _) => throw new RpcException(StatusCode.InvalidArgument, detail))
            .Unary<StopJobRequest, StopJobResponse>("StopJob", (_, _) => Task.FromResult(new StopJobResponse()))
            .Build());
        return new RefusingWorker(await GrpcHost.StartAsync(router));
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
