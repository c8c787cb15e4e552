using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DistributedTrainer.Rpc;
using DistributedTrainer.Tests.Rpc.Echo;
using Grpc.Health.V1;
using Xunit;

namespace DistributedTrainer.Tests.Rpc;

public sealed class GrpcHostTests
{
    [Fact]
    public async Task StartAsync_PortZero_BindsAFreeLoopbackPort()
    {
        await using GrpcHost host = await GrpcHost.StartAsync(new GrpcRouter());

        Assert.True(host.Port > 0);
        Assert.Equal(IPAddress.Loopback, IPAddress.Parse(host.Address.Host));
    }

    [Fact]
    public async Task StartAsync_WithCertificate_ServesHttp2OverTls()
    {
        using X509Certificate2 certificate = SelfSignedCertificate();
        await using GrpcHost host = await StartEchoAsync(certificate);
        using var channel = PinnedChannel(host, certificate);

        EchoReply reply = await channel.UnaryAsync(EchoMethods.Say, new EchoRequest { Text = "secure" });

        Assert.Equal(("secure", "https"), (reply.Text, host.Address.Scheme));
    }

    [Fact]
    public async Task StartAsync_WithCertificate_StreamsOverTls()
    {
        using X509Certificate2 certificate = SelfSignedCertificate();
        await using GrpcHost host = await StartEchoAsync(certificate);
        using var channel = PinnedChannel(host, certificate);
        using DuplexStreamingCall<EchoRequest, EchoReply> call = channel.DuplexStreaming(EchoMethods.Chat);

        await call.RequestStream.WriteAsync(new EchoRequest { Text = "a" });
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "b" });
        await call.RequestStream.CompleteAsync();
        List<EchoReply> replies = await call.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.Equal(["a", "b"], replies.Select(r => r.Text));
    }

    [Fact]
    public async Task StartAsync_WithUntrustedCertificate_ClientGetsUnavailable()
    {
        using X509Certificate2 certificate = SelfSignedCertificate();
        await using GrpcHost host = await StartEchoAsync(certificate);
        using var channel = new RpcChannel(host.Address);

        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoMethods.Say, new EchoRequest()));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }

    [Fact]
    public async Task StopAsync_WithOpenWatch_EndsItPromptlyWithUnavailable()
    {
        var router = new GrpcRouter();
        router.AddService(new HealthService().Definition);
        GrpcHost host = await GrpcHost.StartAsync(router);
        using var channel = new RpcChannel(host.Address);
        var watch = new Method<HealthCheckRequest, HealthCheckResponse>(HealthReflection.Descriptor.Services[0].FindMethodByName("Watch"));
        using ServerStreamingCall<HealthCheckResponse> call = channel.ServerStreaming(watch, new HealthCheckRequest());
        Assert.True(await call.ResponseStream.MoveNext());
        var stopwatch = Stopwatch.StartNew();

        await host.DisposeAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.InRange(stopwatch.ElapsedMilliseconds, 0, 5000);
    }

    private static async Task<GrpcHost> StartEchoAsync(X509Certificate2 certificate)
    {
        var router = new GrpcRouter();
        router.AddService(new EchoService().Definition);
        return await GrpcHost.StartAsync(router, new GrpcHostOptions { Certificate = certificate });
    }

    private static RpcChannel PinnedChannel(GrpcHost host, X509Certificate2 certificate) =>
        new(host.Address, new RpcChannelOptions
        {
            ServerCertificateValidation = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString(),
        });

    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }
}
