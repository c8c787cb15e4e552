using DistributedTrainer.Transport.Internal;
using Grpc.Core;
using Xunit;

namespace DistributedTrainer.Tests.Transport.Internal;

public sealed class ServerStoppingInterceptorTests
{
    public static TheoryData<string> Failures => ["cancelled", "io", "aborted"];

    public static TheoryData<string, bool> FailuresInAStop => new()
    {
        { "cancelled", false }, { "io", false }, { "aborted", false },
        { "cancelled", true }, { "io", true }, { "aborted", true },
    };

    [Theory]
    [MemberData(nameof(FailuresInAStop))]
    public async Task DuplexHandler_FailsOnceTheServerStops_Unavailable(string failure, bool afterTheDrain)
    {
        // A stopping server ends its calls one by one: a worker's step may fail first because its ring stream (another
        // call of the same server) ended, and the ABORTED it would send names a peer, not the stop. A stop with a
        // cancelled token aborts the streams at once, inside the drain: a step failing then is the stop too.
        using var shutdown = new CallShutdown(afterTheDrain ? TimeSpan.Zero : Timeout.InfiniteTimeSpan);
        var interceptor = new ServerStoppingInterceptor(shutdown);
        shutdown.Begin();
        if (afterTheDrain)
        {
            Assert.True(shutdown.Ending.WaitHandle.WaitOne(TimeSpan.FromSeconds(10)));
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => interceptor.DuplexStreamingServerHandler<string, string>(null!, null!, null!,
            (_, _, _) => throw Failure(failure)));

        Assert.Equal(afterTheDrain, shutdown.Ending.IsCancellationRequested);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal("The server is shutting down", error.Status.Detail);
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task UnaryHandler_FailsWhileTheServerRuns_ItsOwnFailure(string failure)
    {
        using var shutdown = new CallShutdown();
        var interceptor = new ServerStoppingInterceptor(shutdown);
        var thrown = Failure(failure);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => interceptor.UnaryServerHandler<string, string>("", null!, (_, _) => throw thrown));

        Assert.Same(thrown, error);
    }

    private static Exception Failure(string kind) => kind switch
    {
        "cancelled" => new OperationCanceledException(),
        "io" => new IOException("The request body ended"),
        _ => new RpcException(new Status(StatusCode.Aborted, "ring reduce-scatter failed: rank 2 ended its subscription")),
    };
}
