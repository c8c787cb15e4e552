using System.Net;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Coordinator;
using Google.Protobuf;
using Xunit;

namespace DistributedTrainer.Tests.Transport;

/// <summary>
/// Hand-made and seeded broken request bodies sent over real HTTP/2 to the coordinator's trainer.v1.Jobs (its
/// generated handlers and protobuf marshallers on grpc-dotnet): every call ends with a gRPC status, never a crash or
/// a hang, and the coordinator keeps serving.
/// </summary>
public sealed class JobsFuzzTests : IAsyncLifetime
{
    // The coordinator's receive limit (GrpcEndpointOptions' default).
    private const int MaxMessageSize = 4 * 1024 * 1024;

    private static readonly (string Path, Func<Random, IMessage> Valid)[] Methods =
    [
        ("/trainer.v1.Jobs/SubmitJob", random => new SubmitJobRequest { Spec = new JobSpec { Name = new string('n', random.Next(0, 40)) } }),
        ("/trainer.v1.Jobs/GetJob", random => new GetJobRequest { JobId = $"j-{random.Next():x12}" }),
        ("/trainer.v1.Jobs/ListJobs", random => new ListJobsRequest { Limit = random.Next(-2, 5) }),
        ("/trainer.v1.Jobs/WatchJob", random => new WatchJobRequest { JobId = $"j-{random.Next():x12}" }),
        ("/trainer.v1.Jobs/CancelJob", random => new CancelJobRequest { JobId = new string('x', random.Next(0, 300)) }),
        ("/trainer.v1.Jobs/DownloadCheckpoint", random => new DownloadCheckpointRequest { JobId = "j-000000000000", File = "../../job.json" }),
    ];

    private TestCoordinator _coordinator = null!;

    private RawGrpcClient Raw => new(_coordinator.Server.Address);

    public async Task InitializeAsync() => _coordinator = await TestCoordinator.StartAsync();

    public async Task DisposeAsync() => await _coordinator.DisposeAsync();

    [Fact]
    public async Task Jobs_SeededBrokenBodies_EveryCallEndsWithAStatusAndTheCoordinatorStillServes()
    {
        using var raw = Raw;
        var random = new Random(424242);
        var unexpected = new List<string>();

        for (int i = 0; i < 300; i++)
        {
            var (path, valid) = Methods[random.Next(Methods.Length)];
            RawGrpcClient.RawResponse response = await raw.PostAsync(path, FuzzBodies.Next(random, valid, MaxMessageSize), headers: ("grpc-encoding", "gzip"));
            // OK, INVALID_ARGUMENT, NOT_FOUND (the handlers); RESOURCE_EXHAUSTED (over the limit), INTERNAL (broken
            // frames), UNKNOWN (grpc-dotnet's answer to a message its marshaller cannot parse, a compressed flag other
            // than 0 or 1, or a length prefix beyond 2^31 - 1).
            if (response.HttpStatus != HttpStatusCode.OK || response.GrpcStatus is not (0 or 2 or 3 or 5 or 8 or 13))
            {
                unexpected.Add($"case {i} {path}: HTTP {(int)response.HttpStatus}, grpc-status {response.GrpcStatus?.ToString() ?? "none"}");
            }
        }
        var listed = await _coordinator.Jobs.ListJobsAsync(new ListJobsRequest(), _coordinator.Call());

        Assert.True(unexpected.Count == 0, string.Join(Environment.NewLine, unexpected));
        Assert.NotNull(listed);
    }

    [Fact]
    public async Task GetJob_LengthPrefixOverLimit_ResourceExhaustedWithoutWaitingForTheBytes()
    {
        using var raw = Raw;
        var response = await raw.PostAsync("/trainer.v1.Jobs/GetJob", RawGrpcClient.Frame(new byte[10], length: MaxMessageSize + 1));

        Assert.Equal(8, response.GrpcStatus);
    }

    [Fact]
    public async Task GetJob_TruncatedFrame_Internal()
    {
        using var raw = Raw;
        var response = await raw.PostAsync("/trainer.v1.Jobs/GetJob", RawGrpcClient.Frame(new byte[10], length: 100));

        Assert.Equal(13, response.GrpcStatus);
    }

    [Fact]
    public async Task GetJob_TwoMessagesForAUnaryCall_Internal()
    {
        using var raw = Raw;
        byte[] message = new GetJobRequest { JobId = "j-000000000000" }.ToByteArray();

        var response = await raw.PostAsync("/trainer.v1.Jobs/GetJob", [.. RawGrpcClient.Frame(message), .. RawGrpcClient.Frame(message)]);

        Assert.Equal(13, response.GrpcStatus);
    }

    [Fact]
    public async Task SubmitJob_BytesThatAreNotTheMessage_UnknownFromTheMarshaller()
    {
        using var raw = Raw;
        var response = await raw.PostAsync("/trainer.v1.Jobs/SubmitJob", RawGrpcClient.Frame([0xFF, 0xFF, 0xFF]));

        // grpc-dotnet reports a request its protobuf marshaller cannot parse as UNKNOWN ("Exception was thrown by handler").
        Assert.Equal(2, response.GrpcStatus);
    }

    [Fact]
    public async Task SubmitJob_EmptyMessage_InvalidArgumentNamingTheSpec()
    {
        using var raw = Raw;
        var response = await raw.PostAsync("/trainer.v1.Jobs/SubmitJob", RawGrpcClient.Frame([]));

        Assert.Equal(3, response.GrpcStatus);
    }

    [Fact]
    public async Task WatchJob_GzipBomb_ResourceExhausted()
    {
        using var raw = Raw;
        byte[] bomb = FuzzBodies.Gzip(new byte[64 * 1024 * 1024]);

        var response = await raw.PostAsync("/trainer.v1.Jobs/WatchJob", RawGrpcClient.Frame(bomb, flag: 1), headers: ("grpc-encoding", "gzip"));

        Assert.Equal(8, response.GrpcStatus);
    }

    [Fact]
    public async Task ListJobs_UnknownEncoding_Unimplemented()
    {
        using var raw = Raw;
        var response = await raw.PostAsync("/trainer.v1.Jobs/ListJobs", RawGrpcClient.Frame([], flag: 1), headers: ("grpc-encoding", "snappy"));

        Assert.Equal(12, response.GrpcStatus);
    }

    [Fact]
    public async Task ListJobs_WrongContentType_Http415()
    {
        using var raw = Raw;
        var response = await raw.PostAsync("/trainer.v1.Jobs/ListJobs", RawGrpcClient.Frame([]), "application/json");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.HttpStatus);
    }

    [Fact]
    public async Task UnknownService_TrailersOnlyUnimplemented()
    {
        using var raw = Raw;
        var response = await raw.PostAsync("/nope.v1.Missing/Call", RawGrpcClient.Frame([]));

        Assert.Equal((12, true), (response.GrpcStatus, response.IsTrailersOnly));
    }

    [Fact]
    public async Task ListJobs_InvalidTimeoutHeader_StillAnswersWithAStatus()
    {
        using var raw = Raw;
        var response = await raw.PostAsync("/trainer.v1.Jobs/ListJobs", RawGrpcClient.Frame([]), headers: ("grpc-timeout", "123456789S"));

        Assert.NotNull(response.GrpcStatus);
    }
}
