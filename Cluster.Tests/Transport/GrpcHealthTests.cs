using System.Diagnostics;
using Grpc.Core;
using Grpc.Health.V1;
using Xunit;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace DistributedTrainer.Tests.Transport;

/// <summary>grpc.health.v1 as <see cref="DistributedTrainer.Transport.GrpcServerHosting"/> serves it, asked by the standard generated client.</summary>
public sealed class GrpcHealthTests : IAsyncLifetime
{
    private EchoServer _server = null!;

    public async Task InitializeAsync() => _server = await EchoServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("")]
    [InlineData(EchoServer.EchoServiceName)]
    [InlineData(EchoServer.RelayServiceName)]
    public async Task Check_RunningServerAndItsServices_Serving(string service)
    {
        using var channel = _server.Channel();

        var response = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest { Service = service }, deadline: Soon());

        Assert.Equal(ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Check_UnknownService_NotFound()
    {
        using var channel = _server.Channel();

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest { Service = "no.Such" }, deadline: Soon()).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task Watch_ServerStops_NotServingThenTheStreamEndsPromptly()
    {
        using var channel = _server.Channel();
        using var call = new Health.HealthClient(channel).Watch(new HealthCheckRequest { Service = EchoServer.EchoServiceName }, deadline: Soon());
        Assert.True(await call.ResponseStream.MoveNext());
        var seen = new List<ServingStatus> { call.ResponseStream.Current.Status };
        var stopwatch = Stopwatch.StartNew();

        var stopping = _server.StopAsync();
        try
        {
            while (await call.ResponseStream.MoveNext())
            {
                seen.Add(call.ResponseStream.Current.Status);
            }
        }
        catch (RpcException ended) when (ended.StatusCode == StatusCode.Unavailable)
        {
            // The server ended the watch as it stopped.
        }
        await stopping;

        Assert.Equal([ServingStatus.Serving, ServingStatus.NotServing], seen);
        Assert.InRange(stopwatch.ElapsedMilliseconds, 0, 5000);
    }

    [Fact]
    public async Task Watch_StatusChanges_StreamsEachChange()
    {
        using var channel = _server.Channel();
        using var call = new Health.HealthClient(channel).Watch(new HealthCheckRequest { Service = "watch.Changes" }, deadline: Soon());
        Assert.True(await call.ResponseStream.MoveNext());
        var seen = new List<ServingStatus> { call.ResponseStream.Current.Status };

        _server.Health.Serve(["watch.Changes"]);
        Assert.True(await call.ResponseStream.MoveNext());
        seen.Add(call.ResponseStream.Current.Status);

        Assert.Equal([ServingStatus.ServiceUnknown, ServingStatus.Serving], seen);
    }

    private static DateTime Soon() => DateTime.UtcNow.AddSeconds(10);
}
