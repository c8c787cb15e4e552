using DistributedTrainer.Rpc;
using Grpc.Health.V1;
using Xunit;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace DistributedTrainer.Tests.Rpc;

public sealed class HealthServiceTests(EchoServerFixture server) : IClassFixture<EchoServerFixture>
{
    private static readonly Method<HealthCheckRequest, HealthCheckResponse> Check = new(HealthReflection.Descriptor.Services[0].FindMethodByName("Check"));
    private static readonly Method<HealthCheckRequest, HealthCheckResponse> Watch = new(HealthReflection.Descriptor.Services[0].FindMethodByName("Watch"));

    [Fact]
    public async Task Check_Server_Serving()
    {
        HealthCheckResponse response = await server.Channel.UnaryAsync(Check, new HealthCheckRequest());

        Assert.Equal(ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Check_ServiceSetNotServing_NotServing()
    {
        server.Health.SetStatus("check.NotServing", ServingStatus.NotServing);

        HealthCheckResponse response = await server.Channel.UnaryAsync(Check, new HealthCheckRequest { Service = "check.NotServing" });

        Assert.Equal(ServingStatus.NotServing, response.Status);
    }

    [Fact]
    public async Task Check_UnknownService_NotFound()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => server.Channel.UnaryAsync(Check, new HealthCheckRequest { Service = "no.Such" }));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task Watch_StatusChanges_StreamsEachChange()
    {
        server.Health.SetStatus("watch.Changes", ServingStatus.NotServing);
        using ServerStreamingCall<HealthCheckResponse> call = server.Channel.ServerStreaming(
            Watch, new HealthCheckRequest { Service = "watch.Changes" }, CallOptions.WithTimeout(TimeSpan.FromSeconds(10)));
        var seen = new List<ServingStatus>();

        Assert.True(await call.ResponseStream.MoveNext());
        seen.Add(call.ResponseStream.Current.Status);
        server.Health.SetStatus("watch.Changes", ServingStatus.Serving);
        Assert.True(await call.ResponseStream.MoveNext());
        seen.Add(call.ResponseStream.Current.Status);

        Assert.Equal([ServingStatus.NotServing, ServingStatus.Serving], seen);
    }

    [Fact]
    public async Task Watch_UnknownServiceThatAppears_ServiceUnknownThenServing()
    {
        using ServerStreamingCall<HealthCheckResponse> call = server.Channel.ServerStreaming(
            Watch, new HealthCheckRequest { Service = "watch.Appears" }, CallOptions.WithTimeout(TimeSpan.FromSeconds(10)));
        var seen = new List<ServingStatus>();

        Assert.True(await call.ResponseStream.MoveNext());
        seen.Add(call.ResponseStream.Current.Status);
        server.Health.SetStatus("watch.Appears", ServingStatus.Serving);
        Assert.True(await call.ResponseStream.MoveNext());
        seen.Add(call.ResponseStream.Current.Status);

        Assert.Equal([ServingStatus.ServiceUnknown, ServingStatus.Serving], seen);
    }

    [Fact]
    public async Task Watch_ServiceCleared_ServiceUnknown()
    {
        server.Health.SetStatus("watch.Cleared", ServingStatus.Serving);
        using ServerStreamingCall<HealthCheckResponse> call = server.Channel.ServerStreaming(
            Watch, new HealthCheckRequest { Service = "watch.Cleared" }, CallOptions.WithTimeout(TimeSpan.FromSeconds(10)));
        Assert.True(await call.ResponseStream.MoveNext());

        server.Health.ClearStatus("watch.Cleared");
        Assert.True(await call.ResponseStream.MoveNext());

        Assert.Equal(ServingStatus.ServiceUnknown, call.ResponseStream.Current.Status);
    }
}
