using System.Diagnostics;
using System.Runtime.InteropServices;
using DistributedTrainer.ClusterApi;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Cluster;
using DistributedTrainer.Tests.Data;
using DistributedTrainer.Tests.Telemetry;
using DistributedTrainer.Telemetry;
using DistributedTrainer.Transport;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry;
using OpenTelemetry.Trace;
using StatusCode = Grpc.Core.StatusCode;
using Xunit;

namespace DistributedTrainer.Tests.Worker;

/// <summary>
/// WorkerControl on one real worker (a ring of one), called through the generated client as any gRPC client would:
/// every malformed call is refused with the field named, whether Kestrel serves the Step calls
/// (<see cref="WorkerControlServiceOnKestrelTests"/>) or the worker's direct path does (<see cref="WorkerControlServiceDirectTests"/>).
/// </summary>
/// <param name="channel">How the tests' channel calls the worker.</param>
/// <param name="stepServer">The activity source of the server span that the stack serving Step calls starts.</param>
public abstract class WorkerControlServiceTests(GrpcChannelSettings channel, string stepServer) : IAsyncLifetime, IDisposable
{
    private const string JobId = "j-1";
    private const string GanJobId = "j-gan";
    private readonly TemporaryDirectory _directory = new();
    private readonly CancellationTokenSource _stepCalls = new(TimeSpan.FromSeconds(60));
    private WorkerFleet _fleet = null!;
    private GrpcChannel _channel = null!;
    private WorkerControl.WorkerControlClient _client = null!;
    private JobSpec _spec = null!;
    private PrepareJobResponse _prepared = null!;

    public async Task InitializeAsync()
    {
        _spec = ClusterJobs.WriteSpec(_directory.Path);
        _fleet = await WorkerFleet.StartAsync(1);
        _channel = GrpcChannels.Create(_fleet.Servers[0].Address, channel);
        _client = new WorkerControl.WorkerControlClient(_channel);
        _prepared = await _client.PrepareJobAsync(Prepare(JobId), Deadline());
    }

    public async Task DisposeAsync() => await _fleet.DisposeAsync();

    public void Dispose()
    {
        _channel?.Dispose();
        _stepCalls.Dispose();
        _directory.Dispose();
        GC.SuppressFinalize(this);
    }

    private static CallOptions Deadline() => new(deadline: DateTime.UtcNow.AddSeconds(20));

    // A deadline (grpc-timeout) leaves a call to Kestrel even from the lean client, as the coordinator's Step calls carry
    // none: the tests' Step calls are bounded by cancelling them instead.
    private CallOptions StepCallOptions() => new(cancellationToken: _stepCalls.Token);

    private PrepareJobRequest Prepare(string jobId, long generation = 1) => new()
    {
        JobId = jobId,
        Spec = _spec,
        Rank = 0,
        WorldSize = 1,
        Ring = { _fleet.Servers[0].Address.ToString() },
        Generation = generation,
    };

    // A step of a 40-sample batch (shards elsewhere unless a test adds this worker's); batchSize 0 is a parameter sync.
    private static StepHeader Header(long generation = 1, string jobId = JobId, int batchSize = 40) =>
        new() { JobId = jobId, Generation = generation, Step = 0, BatchSize = batchSize };

    /// <summary>The header, then <paramref name="pieces"/> (default: the whole parameter vector as valid pieces); the answers.</summary>
    private async Task<List<StepResponse>> StepAsync(StepHeader header, IEnumerable<ParameterPiece>? pieces = null)
    {
        using var call = _client.Step(StepCallOptions());
        try
        {
            await call.RequestStream.WriteAsync(new StepRequest { Header = header });
            foreach (var piece in pieces ?? WholeVector())
            {
                await call.RequestStream.WriteAsync(new StepRequest { Parameters = piece });
            }
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The worker ended the call before taking every piece (the write fails with CANCELLED): its status comes with the answers.
        }
        var responses = new List<StepResponse>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            responses.Add(call.ResponseStream.Current);
        }
        return responses;
    }

    private IEnumerable<ParameterPiece> WholeVector()
    {
        var values = new float[_prepared.ParameterCount];
        Array.Fill(values, 0.01f);
        yield return new ParameterPiece { Offset = 0, Values = RawElements.ToBytes<float>(values) };
    }

    private async Task<RpcException> StepFailsAsync(StepHeader header, IEnumerable<ParameterPiece>? pieces = null) =>
        await Assert.ThrowsAsync<RpcException>(() => StepAsync(header, pieces));

    [Fact]
    public async Task Step_UnderTheCallersSpan_ServedByTheExpectedStackWithAServerSpanOfItsJobAndStatus()
    {
        var exporter = new InMemorySpanExporter();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddTrainerTracing().AddProcessor(new SimpleActivityExportProcessor(exporter)).Build();
        ActivityTraceId trace;
        using (Activity? step = TrainingDiagnostics.StartStep(JobId, 0, 1))
        {
            trace = step!.TraceId;
            await StepAsync(Header(batchSize: 0));
        }

        // The server's span ends once the trailers are out, which may be just after the client has read them.
        Activity? server = null;
        for (var wait = Stopwatch.StartNew(); server is null && wait.Elapsed < TimeSpan.FromSeconds(10); await Task.Delay(20))
        {
            server = exporter.Spans.FirstOrDefault(span => span.TraceId == trace && span.Kind == ActivityKind.Server && span.DisplayName == "trainer.v1.WorkerControl/Step");
        }
        Assert.NotNull(server);
        Assert.Equal((stepServer, "OK", JobId),
            (server.Source.Name, (string?)server.GetTagItem("rpc.response.status_code"), (string?)server.GetTagItem(TrainingAttributes.JobId)));
    }

    [Fact]
    public async Task Step_RequestMessageOverFourMiB_ResourceExhausted()
    {
        var failure = await Assert.ThrowsAsync<RpcException>(() =>
            RawGrpcMethods.DuplexStreamingAsync(_channel, "trainer.v1.WorkerControl", "Step", new byte[4 * 1024 * 1024 + 1]));

        Assert.Equal(StatusCode.ResourceExhausted, failure.StatusCode);
    }

    [Fact]
    public void PrepareJob_SyntheticSpec_ReportsTheFlatVectorLengths()
    {
        Assert.True(_prepared.ParameterCount > 0);
        Assert.Equal(_prepared.ParameterCount, _prepared.GradientCount);
    }

    [Fact]
    public async Task Step_WholeVectorAndOneShard_AnswersGradientsThenResult()
    {
        var header = Header();
        header.SampleIds.AddRange([0, 1, 2, 3]);
        header.ShardLengths.Add(4);
        header.ShardIndices.Add(5);

        var responses = await StepAsync(header);

        Assert.Equal(StepResponse.KindOneofCase.Result, responses[^1].KindCase);
        var shard = Assert.Single(responses[^1].Result.Shards);
        Assert.Equal((5, 4), (shard.ShardIndex, shard.Samples));
        // The mean gradient comes back as float32, half the bytes of the int64 sums.
        Assert.Equal(_prepared.GradientCount * sizeof(float), responses.SkipLast(1).Sum(piece => (long)piece.Gradients.Values.Length));
    }

    [Fact]
    public async Task Step_ParameterSync_AnswersOnlyTheResult()
    {
        var responses = await StepAsync(Header(batchSize: 0));

        var only = Assert.Single(responses);
        Assert.Equal(StepResponse.KindOneofCase.Result, only.KindCase);
        Assert.Empty(only.Result.Shards);
        Assert.Equal(-1, only.Result.FirstNonFiniteIndex);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(-1)]
    public async Task Step_BatchSizeBelowTheWorkersSamples_IsInvalidArgument(int batchSize)
    {
        var header = Header();
        header.SampleIds.AddRange([0, 1, 2, 3]);
        header.ShardLengths.Add(4);
        header.ShardIndices.Add(0);
        header.BatchSize = batchSize;

        var failure = await StepFailsAsync(header);

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains($"Invalid batch_size: {batchSize} (must be at least the 4 samples of this worker's shards", failure.Status.Detail);
    }

    [Fact]
    public async Task Step_OldGeneration_FailsPreconditionNamingGeneration()
    {
        var failure = await StepFailsAsync(Header(generation: 7));

        Assert.Equal(StatusCode.FailedPrecondition, failure.StatusCode);
        Assert.Contains("Invalid generation: 7", failure.Status.Detail);
    }

    [Fact]
    public async Task Step_ShardLongerThanMicroShardSize_IsInvalidArgument()
    {
        var header = Header();
        header.SampleIds.AddRange(Enumerable.Range(0, 9));
        header.ShardLengths.Add(9);
        header.ShardIndices.Add(0);

        var failure = await StepFailsAsync(header);

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains("shard_lengths[0]: 9", failure.Status.Detail);
    }

    [Fact]
    public async Task Step_SampleIdOutsideTrainingSplit_IsInvalidArgument()
    {
        var header = Header();
        header.SampleIds.AddRange([0, 100000]);
        header.ShardLengths.Add(2);
        header.ShardIndices.Add(0);

        var failure = await StepFailsAsync(header);

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains("sample_ids[1]: 100000", failure.Status.Detail);
    }

    [Fact]
    public async Task Step_NextSampleIdOutsideTrainingSplit_IsInvalidArgument()
    {
        var header = Header();
        header.SampleIds.AddRange([0, 1]);
        header.ShardLengths.Add(2);
        header.ShardIndices.Add(0);
        header.NextSampleIds.AddRange([2, -1]);

        var failure = await StepFailsAsync(header);

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains("next_sample_ids[1]: -1", failure.Status.Detail);
    }

    [Fact]
    public async Task Step_OversizePiece_IsInvalidArgument()
    {
        var oversize = new ParameterPiece { Offset = 0, Values = ByteString.CopyFrom(new byte[RawElements.MaxPieceBytes + 4]) };

        var failure = await StepFailsAsync(Header(), [oversize]);

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains("parameters[0].values", failure.Status.Detail);
    }

    [Fact]
    public async Task Step_PiecesMissingTheSegmentEnd_IsInvalidArgument()
    {
        var half = new ParameterPiece { Offset = 0, Values = RawElements.ToBytes<float>(new float[_prepared.ParameterCount / 2]) };

        var failure = await StepFailsAsync(Header(), [half]);

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains("Invalid parameters: the pieces cover", failure.Status.Detail);
    }

    [Fact]
    public async Task Evaluate_BeforeAnyStep_FailsPrecondition()
    {
        var request = new EvaluateRequest { JobId = JobId, Generation = 1, Split = EvaluateRequest.Types.Split.Test, Start = 0, End = 90, Chunk = 512 };

        var failure = await Assert.ThrowsAsync<RpcException>(() => _client.EvaluateAsync(request, Deadline()).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, failure.StatusCode);
    }

    [Fact]
    public async Task Evaluate_AfterParameterSync_AnswersOneOutcomePerChunk()
    {
        await StepAsync(Header());
        var request = new EvaluateRequest { JobId = JobId, Generation = 1, Split = EvaluateRequest.Types.Split.Test, Start = 0, End = 90, Chunk = 512 };

        var response = await _client.EvaluateAsync(request, Deadline());

        var chunk = Assert.Single(response.Chunks);
        Assert.Equal(90, chunk.Samples);
    }

    [Fact]
    public async Task PrepareJob_AnotherJobWhileOneIsHeld_DropsTheHeldJobAndPreparesTheNewOne()
    {
        await _client.PrepareJobAsync(Prepare("j-2"), Deadline());

        var stale = await StepFailsAsync(Header());

        Assert.Equal(StatusCode.FailedPrecondition, stale.StatusCode);
        Assert.Contains("j-1", stale.Status.Detail);
    }

    [Fact]
    public async Task PrepareJob_NewGeneration_KeepsTheJobAndRefusesTheOldGeneration()
    {
        await _client.PrepareJobAsync(Prepare(JobId, generation: 2), Deadline());

        var failure = await StepFailsAsync(Header(generation: 1));
        var responses = await StepAsync(Header(generation: 2));

        Assert.Equal(StatusCode.FailedPrecondition, failure.StatusCode);
        Assert.Equal(StepResponse.KindOneofCase.Result, responses[^1].KindCase);
    }

    [Fact]
    public async Task StopJob_ThenPrepareAnotherJob_Succeeds()
    {
        await _client.StopJobAsync(new StopJobRequest { JobId = JobId }, Deadline());

        var prepared = await _client.PrepareJobAsync(Prepare("j-2"), Deadline());

        Assert.Equal(_prepared.ParameterCount, prepared.ParameterCount);
    }

    [Fact]
    public async Task PrepareJob_WithoutTokenOnAWorkerThatRequiresOne_IsUnauthenticated()
    {
        await using var guarded = await WorkerFleet.StartAsync(1, token: "secret");
        using var channel = GrpcChannels.Create(guarded.Servers[0].Address);

        var failure = await Assert.ThrowsAsync<RpcException>(() => new WorkerControl.WorkerControlClient(channel).PrepareJobAsync(Prepare("j-9"), Deadline()).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, failure.StatusCode);
    }

    [Fact]
    public async Task Step_WholeVectorWithoutShards_GradientPiecesCoverTheSegmentInOrder()
    {
        // Shards elsewhere in the batch: this worker adds nothing but still reduces and answers its segment.
        var responses = await StepAsync(Header());

        var pieces = responses.SkipLast(1).Select(response => response.Gradients).ToList();
        long expected = 0;
        foreach (var piece in pieces)
        {
            Assert.Equal(expected, piece.Offset);
            Assert.All(MemoryMarshal.Cast<byte, float>(piece.Values.Span).ToArray(), value => Assert.Equal(0f, value));
            expected += piece.Values.Length / sizeof(float);
        }
        Assert.Equal(_prepared.GradientCount, expected);
    }

    [Fact]
    public async Task Step_BytesThatAreNotAStepRequest_InternalNamingTheField()
    {
        // Field 1 (header) claims 100 bytes but the message ends after 2.
        var failure = await Assert.ThrowsAsync<RpcException>(() =>
            RawGrpcMethods.DuplexStreamingAsync(_channel, "trainer.v1.WorkerControl", "Step", [0x0A, 100, 1, 2]));

        Assert.Equal((StatusCode.Internal, "Failed to parse StepRequest: header at byte 0 runs past the end"), (failure.StatusCode, failure.Status.Detail));
    }

    [Fact]
    public async Task Step_MalformedParameterPiece_InternalNamingTheField()
    {
        byte[] header = new StepRequest { Header = Header() }.ToByteArray();

        // Field 2 (parameters) holds a values field that claims 9 bytes of 1.
        var failure = await Assert.ThrowsAsync<RpcException>(() =>
            RawGrpcMethods.DuplexStreamingAsync(_channel, "trainer.v1.WorkerControl", "Step", header, [0x12, 3, 0x12, 9, 1]));

        Assert.Equal((StatusCode.Internal, "Failed to parse StepRequest: parameters.values at byte 2 runs past the end"), (failure.StatusCode, failure.Status.Detail));
    }

    [Fact]
    public async Task Step_CriticUpdateOnASingleNetworkJob_IsInvalidArgument()
    {
        var header = Header();
        header.Update = StepHeader.Types.Update.Critic;

        var failure = await StepFailsAsync(header);

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains("Invalid update: Critic (job j-1 is not a GAN job", failure.Status.Detail);
    }

    // The worker holds one job at a time: preparing the GAN job drops j-1.
    private async Task<PrepareJobResponse> PrepareGanAsync()
    {
        string directory = Directory.CreateDirectory(Path.Combine(_directory.Path, "gan")).FullName;
        var request = Prepare(GanJobId);
        request.Spec = ClusterGanJobs.WriteSpec(directory);
        return await _client.PrepareJobAsync(request, Deadline());
    }

    private static IEnumerable<ParameterPiece> Vector(long length)
    {
        var values = new float[length];
        Array.Fill(values, 0.01f);
        yield return new ParameterPiece { Offset = 0, Values = RawElements.ToBytes<float>(values) };
    }

    [Fact]
    public async Task PrepareJob_GanSpec_ReportsBothNetworksParametersAndEachUpdatesGradientLength()
    {
        var prepared = await PrepareGanAsync();

        Assert.True(prepared.GeneratorGradientCount > 0);
        // Each network's parameter vector is as long as its gradient vector; the parameters hold both networks.
        Assert.Equal(prepared.ParameterCount, prepared.GradientCount + prepared.GeneratorGradientCount);
    }

    [Fact]
    public async Task Step_GanGeneratorUpdate_AnswersTheGeneratorsGradientsThenResult()
    {
        var prepared = await PrepareGanAsync();
        var header = Header(jobId: GanJobId);
        header.Update = StepHeader.Types.Update.Generator;
        header.ShardLengths.Add(8);
        header.ShardIndices.Add(1);
        header.BatchSize = 16;

        var responses = await StepAsync(header, Vector(prepared.ParameterCount));

        var shard = Assert.Single(responses[^1].Result.Shards);
        Assert.Equal((1, 8), (shard.ShardIndex, shard.Samples));
        Assert.Equal(prepared.GeneratorGradientCount * sizeof(float), responses.SkipLast(1).Sum(piece => (long)piece.Gradients.Values.Length));
    }

    [Fact]
    public async Task Step_GanGeneratorUpdateWithSampleIds_IsInvalidArgument()
    {
        var prepared = await PrepareGanAsync();
        var header = Header(jobId: GanJobId);
        header.Update = StepHeader.Types.Update.Generator;
        header.SampleIds.AddRange([0, 1]);
        header.ShardLengths.Add(2);
        header.ShardIndices.Add(0);

        var failure = await StepFailsAsync(header, Vector(prepared.ParameterCount));

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains("Invalid sample_ids: 2 ids in a GENERATOR update", failure.Status.Detail);
    }

    [Fact]
    public async Task Step_GanStepWithoutUpdate_IsInvalidArgument()
    {
        var prepared = await PrepareGanAsync();

        var failure = await StepFailsAsync(Header(jobId: GanJobId), Vector(prepared.ParameterCount));

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains("Invalid update: Unspecified (job j-gan is a GAN job", failure.Status.Detail);
    }

    // One shard of four samples at step 0; with segmentUpdate, the update of the held step 0 instead of parameter pieces.
    private static StepHeader OneShard(SegmentUpdate? segmentUpdate = null, bool optimizerState = false)
    {
        var header = Header();
        header.SampleIds.AddRange([0, 1, 2, 3]);
        header.ShardLengths.Add(4);
        header.ShardIndices.Add(0);
        header.SegmentUpdate = segmentUpdate;
        header.OptimizerState = optimizerState;
        return header;
    }

    private static SegmentUpdate UpdateOfStep0(bool applied = true) =>
        new() { Step = 0, Applied = applied, LearningRate = 0.1f, ClipScale = 1f, OptimizerStep = 1 };

    private int TrainableCount()
    {
        using var model = DistributedTrainer.Training.ModelFactory.Build(_spec.Model, 6, 8);
        return model.Store.Count;
    }

    // The whole parameter vector, then Adam's two state vectors (zeros) over the trainable parameters: SegmentSync's
    // layout for a ring of one.
    private IEnumerable<ParameterPiece> WholeVectorWithOptimizerState()
    {
        int trainable = TrainableCount();
        return WholeVector().Concat(Enumerable.Range(0, 2).Select(k => new ParameterPiece
        {
            Offset = _prepared.ParameterCount + (long)k * trainable,
            Values = RawElements.ToBytes<float>(new float[trainable]),
        }));
    }

    private static double LossOf(List<StepResponse> responses) => Assert.Single(responses[^1].Result.Shards).LossSum;

    [Fact]
    public async Task Step_SegmentUpdateOfTheHeldStep_MovesTheParametersWithoutPiecesAndASkippedOneLeavesThem()
    {
        double received = LossOf(await StepAsync(OneShard(optimizerState: true), WholeVectorWithOptimizerState()));

        // The same step's samples and masks again: the loss tells whether the parameters moved.
        double skipped = LossOf(await StepAsync(OneShard(UpdateOfStep0(applied: false)), []));
        double updated = LossOf(await StepAsync(OneShard(UpdateOfStep0()), []));

        Assert.Equal(received, skipped);
        Assert.NotEqual(received, updated);
    }

    [Fact]
    public async Task Step_ThreeStepsOnOneCall_AnswersEachAsSeparateCallsDoThenEndsOk()
    {
        double received = LossOf(await StepAsync(OneShard(optimizerState: true), WholeVectorWithOptimizerState()));
        double updated = LossOf(await StepAsync(OneShard(UpdateOfStep0()), []));
        using var call = _client.Step(StepCallOptions());

        var answers = new List<List<StepResponse>>();
        foreach (var (header, pieces) in new[]
        {
            (OneShard(optimizerState: true), WholeVectorWithOptimizerState()),
            (OneShard(UpdateOfStep0(applied: false)), []),
            (OneShard(UpdateOfStep0()), Enumerable.Empty<ParameterPiece>()),
        })
        {
            await call.RequestStream.WriteAsync(new StepRequest { Header = header });
            foreach (var piece in pieces)
            {
                await call.RequestStream.WriteAsync(new StepRequest { Parameters = piece });
            }
            var responses = new List<StepResponse>();
            while (responses.LastOrDefault()?.KindCase != StepResponse.KindOneofCase.Result)
            {
                Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None), $"the call ended before step {answers.Count}'s result");
                responses.Add(call.ResponseStream.Current);
            }
            answers.Add(responses);
        }
        await call.RequestStream.CompleteAsync();

        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal([received, received, updated], answers.Select(LossOf));
        Assert.All(answers, responses => Assert.Equal(responses.Count - 1, responses.Count(r => r.KindCase == StepResponse.KindOneofCase.Gradients)));
    }

    /// <summary>A Step call whose first step, a parameter sync, was answered: the worker waits for the next step's header.</summary>
    private async Task<AsyncDuplexStreamingCall<StepRequest, StepResponse>> StepStreamWaitingForTheNextStepAsync()
    {
        var call = _client.Step(StepCallOptions());
        await call.RequestStream.WriteAsync(new StepRequest { Header = Header(batchSize: 0) });
        foreach (var piece in WholeVector())
        {
            await call.RequestStream.WriteAsync(new StepRequest { Parameters = piece });
        }
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StepResponse.KindOneofCase.Result, call.ResponseStream.Current.KindCase);
        return call;
    }

    [Fact]
    public async Task Step_StreamWaitingForTheNextStep_UnavailableWhenTheWorkerStops()
    {
        using var call = await StepStreamWaitingForTheNextStepAsync();

        await _fleet.Servers[0].DisposeAsync();

        var failure = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
    }

    [Fact]
    public async Task Step_StreamWaitingForTheNextStep_EndsOkWhenTheJobIsStopped()
    {
        using var call = await StepStreamWaitingForTheNextStepAsync();

        await _client.StopJobAsync(new StopJobRequest { JobId = JobId }, Deadline());

        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Step_SegmentUpdateWhenNoStepIsHeld_FailsPreconditionNamingTheStep()
    {
        var failure = await StepFailsAsync(OneShard(UpdateOfStep0()), []);

        Assert.Equal(StatusCode.FailedPrecondition, failure.StatusCode);
        Assert.Contains("Invalid segment_update.step: 0 (job j-1 holds the mean gradient of no step in generation 1", failure.Status.Detail);
    }

    [Fact]
    public async Task Step_SegmentUpdateAfterPiecesWithoutOptimizerState_FailsPrecondition()
    {
        await StepAsync(OneShard());

        var failure = await StepFailsAsync(OneShard(UpdateOfStep0()), []);

        Assert.Equal(StatusCode.FailedPrecondition, failure.StatusCode);
        Assert.Contains("holds no optimizer state of its segment in generation 1", failure.Status.Detail);
    }

    [Fact]
    public async Task Step_HeaderRefusedBeforeTheUpdate_ChangesNothingHeld()
    {
        double received = LossOf(await StepAsync(OneShard(optimizerState: true), WholeVectorWithOptimizerState()));
        var bad = OneShard(UpdateOfStep0());
        bad.SampleIds[0] = -1;
        await StepFailsAsync(bad, []);

        double skipped = LossOf(await StepAsync(OneShard(UpdateOfStep0(applied: false)), []));

        Assert.Equal(received, skipped);
    }

    [Fact]
    public async Task Step_PiecesAfterASegmentUpdate_FailTheCallOnceTheStepIsAnswered()
    {
        await StepAsync(OneShard(optimizerState: true), WholeVectorWithOptimizerState());

        // The step's pieces end where its parts end, so a piece after a segment_update is read as the next step's first message.
        var failure = await StepFailsAsync(OneShard(UpdateOfStep0()));

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains("Invalid request: Parameters after step 1 of this call was answered (only the next StepHeader may follow a StepResult)", failure.Status.Detail);
    }

    [Fact]
    public async Task Step_OptimizerStateMissing_IsInvalidArgumentNamingThePart()
    {
        long length = _prepared.ParameterCount;

        var failure = await StepFailsAsync(OneShard(optimizerState: true));

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains($"Invalid parameters: the pieces cover [{length}, {length}) of rank 0's part [{length}, {length + TrainableCount()})", failure.Status.Detail);
    }

    [Fact]
    public async Task Step_SegmentUpdateOnAGanJob_IsInvalidArgument()
    {
        await PrepareGanAsync();
        var header = Header(jobId: GanJobId);
        header.Update = StepHeader.Types.Update.Critic;
        header.SegmentUpdate = UpdateOfStep0();

        var failure = await StepFailsAsync(header, []);

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains("Invalid segment_update: job j-gan is a GAN job, whose steps carry the parameters", failure.Status.Detail);
    }
}
