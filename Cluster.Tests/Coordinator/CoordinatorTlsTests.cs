using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DistributedTrainer.Coordinator;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Transport;
using Grpc.Core;
using Xunit;
using JobsRpc = DistributedTrainer.Protos.V1.Jobs;

namespace DistributedTrainer.Tests.Coordinator;

public sealed class CoordinatorTlsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-tls-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ListJobs_PemCertificateAndKey_ServedOverTls()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        string certificatePath = Path.Combine(_directory, "cert.pem");
        string keyPath = Path.Combine(_directory, "key.pem");
        await File.WriteAllTextAsync(certificatePath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
        await using var server = await CoordinatorServer.StartAsync(new CoordinatorOptions(Path.Combine(_directory, "state"),
            TlsCertificate: certificatePath, TlsKey: keyPath));
        using var channel = GrpcChannels.Create(server.Address, new GrpcChannelSettings
        {
            ServerCertificateValidation = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString(),
        });

        var response = await new JobsRpc.JobsClient(channel).ListJobsAsync(new ListJobsRequest(), new CallOptions(deadline: DateTime.UtcNow + TimeSpan.FromSeconds(10)));

        Assert.Equal(("https", 0), (server.Address.Scheme, response.Jobs.Count));
    }
}
