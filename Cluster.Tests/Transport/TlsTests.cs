using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DistributedTrainer.Tests.Rpc.Echo;
using DistributedTrainer.Transport;
using Grpc.Core;
using Xunit;
using EchoRpc = DistributedTrainer.Tests.Rpc.Echo.Echo;

namespace DistributedTrainer.Tests.Transport;

/// <summary>Kestrel's TLS with <see cref="GrpcEndpointOptions.Certificate"/>, and channels that pin or do not trust the certificate.</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly X509Certificate2 _certificate = SelfSignedCertificate();
    private EchoServer _server = null!;

    public async Task InitializeAsync() => _server = await EchoServer.StartAsync(new GrpcEndpointOptions { Certificate = _certificate });

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _certificate.Dispose();
    }

    [Fact]
    public async Task Say_PinnedCertificate_ServedOverHttpsAndHttp2()
    {
        using var channel = _server.Channel(Pinned());

        EchoReply reply = await new EchoRpc.EchoClient(channel).SayAsync(new EchoRequest { Text = "secure" }, deadline: Soon());

        Assert.Equal(("secure", "https"), (reply.Text, _server.Address.Scheme));
    }

    [Fact]
    public async Task Chat_PinnedCertificate_StreamsOverTls()
    {
        using var channel = _server.Channel(Pinned());
        using var call = new EchoRpc.EchoClient(channel).Chat(deadline: Soon());

        await call.RequestStream.WriteAsync(new EchoRequest { Text = "a" });
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "b" });
        await call.RequestStream.CompleteAsync();
        List<EchoReply> replies = await call.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.Equal(["a", "b"], replies.Select(r => r.Text));
    }

    [Fact]
    public async Task Say_UntrustedCertificate_InternalFromTheFailedHandshake()
    {
        using var channel = _server.Channel();

        var error = await Assert.ThrowsAsync<RpcException>(() => new EchoRpc.EchoClient(channel).SayAsync(new EchoRequest(), deadline: Soon()).ResponseAsync);

        // Grpc.Net.Client maps a failed TLS handshake to INTERNAL (only socket and I/O failures are UNAVAILABLE).
        Assert.Equal((StatusCode.Internal, true), (error.StatusCode, GrpcFailures.IsTlsFailure(error)));
    }

    private GrpcChannelSettings Pinned() => new()
    {
        ServerCertificateValidation = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == _certificate.GetCertHashString(),
    };

    private static DateTime Soon() => DateTime.UtcNow.AddSeconds(10);

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
