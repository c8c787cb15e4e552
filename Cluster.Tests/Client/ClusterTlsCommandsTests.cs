using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DistributedTrainer.Tests.Coordinator;
using Xunit;

namespace DistributedTrainer.Tests.Client;

/// <summary>trainctl against a coordinator child process that serves TLS with a certificate trainctl does not trust.</summary>
public sealed class ClusterTlsCommandsTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-cluster-tls-").FullName;
    private CoordinatorProcess _coordinator = null!;

    public async Task InitializeAsync()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        string certificatePath = Path.Combine(_directory, "cert.pem");
        string keyPath = Path.Combine(_directory, "key.pem");
        await File.WriteAllTextAsync(certificatePath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
        _coordinator = await CoordinatorProcess.StartAsync(Path.Combine(_directory, "state"), "--tls-cert", certificatePath, "--tls-key", keyPath);
    }

    public Task DisposeAsync()
    {
        _coordinator.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public void List_UntrustedCertificate_ExitsWith4NamingTheCoordinator()
    {
        var result = TrainctlProcess.Run(Timeout, "list", "--coordinator", _coordinator.Address.ToString());

        Assert.Equal(4, result.ExitCode);
        Assert.Contains($"coordinator {_coordinator.Address} unreachable", result.Stderr, StringComparison.Ordinal);
    }
}
