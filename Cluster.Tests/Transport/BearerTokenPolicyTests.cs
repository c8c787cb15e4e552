using DistributedTrainer.Transport;
using Xunit;

namespace DistributedTrainer.Tests.Transport;

public sealed class BearerTokenPolicyTests
{
    private static readonly BearerTokenPolicy Policy = new("client", new Dictionary<string, string?>
    {
        ["trainer.v1.Cluster"] = "cluster",
        ["trainer.v1.Open"] = null,
    }, ["grpc.health.v1.Health"]);

    [Theory]
    [InlineData("/trainer.v1.Jobs/ListJobs", "Bearer client")]
    [InlineData("/trainer.v1.Cluster/Register", "Bearer cluster")]
    [InlineData("/trainer.v1.Open/Call", null)]
    [InlineData("/grpc.health.v1.Health/Check", null)]
    public void Refusal_TheServicesOwnToken_Null(string method, string? authorization) =>
        Assert.Null(Policy.Refusal(method, authorization));

    [Theory]
    [InlineData("/trainer.v1.Jobs/ListJobs", "Bearer cluster")]
    [InlineData("/trainer.v1.Cluster/Register", "Bearer client")]
    [InlineData("/trainer.v1.Cluster/Register", "Bearer clusterX")]
    [InlineData("/trainer.v1.Jobs/ListJobs", "client")]
    public void Refusal_AnotherServicesToken_Invalid(string method, string authorization) =>
        Assert.Equal("Invalid bearer token", Policy.Refusal(method, authorization));

    [Fact]
    public void Refusal_NoHeader_Missing() =>
        Assert.Equal("Missing bearer token", Policy.Refusal("/trainer.v1.Cluster/Heartbeat", null));

    [Fact]
    public void Refusal_WithoutDefaultToken_OtherServicesOpen()
    {
        var policy = new BearerTokenPolicy(null, new Dictionary<string, string?> { ["trainer.v1.Cluster"] = "cluster" }, []);

        Assert.Null(policy.Refusal("/trainer.v1.Jobs/ListJobs", null));
    }
}
