using System.Net;
using DistributedTrainer.Coordinator;
using DistributedTrainer.Coordinator.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>
/// The silo settings each <see cref="SiloHosting"/> gives the coordinator, read from its built host (not started: a
/// Kubernetes silo would call the API server). The pod variables are the ones the Helm chart sets.
/// </summary>
[Collection(nameof(PodEnvironmentCollection))]
public sealed class SiloHostingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("silo-hosting-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task CreateBuilder_Kubernetes_SiloNamedAfterThePodAndAdvertisedOnItsIp()
    {
        using var pod = new PodEnvironment("coordinator-0", "10.1.2.3", "trainer-svc", "trainer-cluster");
        await using var app = CoordinatorServer.CreateBuilder(new CoordinatorOptions(_directory, Silo: SiloHosting.Kubernetes), null, null).Build();

        var silo = app.Services.GetRequiredService<IOptions<SiloOptions>>().Value;
        var endpoints = app.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        var cluster = app.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal(("coordinator-0", IPAddress.Parse("10.1.2.3"), "trainer-svc", "trainer-cluster"),
            (silo.SiloName, endpoints.AdvertisedIPAddress, cluster.ServiceId, cluster.ClusterId));
    }

    [Fact]
    public async Task CreateBuilder_Localhost_SiloOnLoopbackAwayFromOrleansDefaultPorts()
    {
        await using var app = CoordinatorServer.CreateBuilder(new CoordinatorOptions(_directory), null, null).Build();

        var endpoints = app.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(IPAddress.Loopback, endpoints.AdvertisedIPAddress);
        Assert.NotEqual(EndpointOptions.DEFAULT_SILO_PORT, endpoints.SiloPort);
    }

    [Fact]
    public void CreateBuilder_KubernetesWithoutPodIp_ArgumentExceptionNamingTheVariable()
    {
        using var pod = new PodEnvironment("coordinator-0", null, "trainer-svc", "trainer-cluster");

        var failure = Assert.Throws<ArgumentException>(() =>
            CoordinatorServer.CreateBuilder(new CoordinatorOptions(_directory, Silo: SiloHosting.Kubernetes), null, null));

        Assert.Contains("POD_IP", failure.Message, StringComparison.Ordinal);
    }

    /// <summary>Sets the pod's variables for one test and restores them after.</summary>
    private sealed class PodEnvironment : IDisposable
    {
        private static readonly string[] Names = ["POD_NAME", "POD_NAMESPACE", "POD_IP", "ORLEANS_SERVICE_ID", "ORLEANS_CLUSTER_ID"];
        private readonly Dictionary<string, string?> _saved = Names.ToDictionary(name => name, Environment.GetEnvironmentVariable);

        public PodEnvironment(string name, string? ip, string serviceId, string clusterId)
        {
            Environment.SetEnvironmentVariable("POD_NAME", name);
            Environment.SetEnvironmentVariable("POD_NAMESPACE", "default");
            Environment.SetEnvironmentVariable("POD_IP", ip);
            Environment.SetEnvironmentVariable("ORLEANS_SERVICE_ID", serviceId);
            Environment.SetEnvironmentVariable("ORLEANS_CLUSTER_ID", clusterId);
        }

        public void Dispose()
        {
            foreach (var (name, value) in _saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }
}

/// <summary>Tests that set the process's POD_* variables run one at a time.</summary>
[CollectionDefinition(nameof(PodEnvironmentCollection), DisableParallelization = true)]
public sealed class PodEnvironmentCollection;
