using DistributedTrainer.Rpc;
using DistributedTrainer.Tests.Rpc.Echo;
using Xunit;

namespace DistributedTrainer.Tests.Rpc;

/// <summary>Seeded broken request bodies sent over real HTTP/2: every call ends with a fitting status and the server keeps serving.</summary>
public sealed class GrpcRouterFuzzTests
{
    private const int MaxSize = 64 * 1024;

    [Fact]
    public async Task Dispatch_SeededBrokenBodies_OkInternalOrResourceExhaustedAndServerStillServes()
    {
        await using GrpcHost host = await StartSinkAsync();
        using var raw = new RawGrpcClient(host.Address);
        var random = new Random(424242);
        var unexpected = new List<string>();

        for (int i = 0; i < 300; i++)
        {
            string path = random.Next(2) == 0 ? "/test.v1.Echo/Say" : "/test.v1.Echo/Collect";
            RawGrpcClient.RawResponse response = await raw.PostAsync(path, FuzzBodies.Next(random, MaxSize), headers: ("grpc-encoding", "gzip"));
            if (response.GrpcStatus is not (0 or 8 or 13))
            {
                unexpected.Add($"case {i} {path}: HTTP {(int)response.HttpStatus}, grpc-status {response.GrpcStatus}");
            }
        }

        using var channel = new RpcChannel(host.Address);
        EchoReply reply = await channel.UnaryAsync(EchoMethods.Say, new EchoRequest { Text = "still here" });

        Assert.Empty(unexpected);
        Assert.Equal("still here", reply.Text);
    }

    /// <summary>Echo with handlers that do nothing with what they parse, so only the transport decides the status.</summary>
    private static async Task<GrpcHost> StartSinkAsync()
    {
        var router = new GrpcRouter(new GrpcServerOptions { MaxReceiveMessageSize = MaxSize });
        router.AddService(new GrpcServiceBuilder(EchoReflection.Descriptor.Services[0])
            .Unary<EchoRequest, EchoReply>("Say", (request, _) => Task.FromResult(new EchoReply { Text = request.Text }))
            .ClientStreaming<EchoRequest, EchoReply>("Collect", async (requests, context) =>
                new EchoReply { Count = await requests.ReadAllAsync(context.CancellationToken).CountAsync() })
            .Build());
        return await GrpcHost.StartAsync(router);
    }
}
