using System.Diagnostics;
using System.Globalization;
using DistributedTrainer.Diagnostics;
using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;
using DistributedTrainer.Training.Collective;
using DistributedTrainer.Transport;
using Grpc.Core;
using Grpc.Net.Client;

namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// The coordinator's side of one worker's WorkerControl calls: every call has a deadline, and every failure comes
/// out as a <see cref="WorkerFailedException"/> that names the worker, its rank, the step and the phase.
/// </summary>
/// <remarks>
/// PrepareJob, Evaluate and StopJob go through the generated client. Step goes through a method of this client's
/// own whose marshallers write parameter pieces straight from the parameter vector and copy gradient pieces straight
/// into the step's sums (<see cref="OutgoingStepRequest"/>, <see cref="IncomingStepResponse"/>). One Step call carries
/// every step of a ring generation (cluster.proto), so a step costs two messages each way instead of opening and
/// ending a call; a failed step ends the call, and the next step opens a new one. One step at a time, as the backend
/// makes them.
/// </remarks>
internal sealed class WorkerClient : IDisposable
{
    // Pieces are at most 1 MiB (RawElements.MaxPieceBytes): the gRPC default 4 MiB limit holds them with room.
    private const int MessageLimit = 4 * 1024 * 1024;

    // How long closing a Step call between steps waits for the worker to end its side.
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private readonly GrpcChannel _channel;
    // The Step calls' own channel: one long call per generation carrying the gradient answers, the largest responses
    // the coordinator reads, through LeanHttp2Handler (see GrpcChannelSettings.LargeResponseStreams).
    private readonly GrpcChannel _stepChannel;
    private readonly WorkerControl.WorkerControlClient _control;
    private readonly Method<OutgoingStepRequest, IncomingStepResponse> _step;
    private readonly Metadata? _headers;
    private readonly OutgoingStepRequest _request = new();
    private readonly GradientSink _sink = new();
    // The open Step call and the generation whose steps it carries; null before the first step and after a failed one.
    private AsyncDuplexStreamingCall<OutgoingStepRequest, IncomingStepResponse>? _stepCall;
    private long _stepCallGeneration;
    // The step whose header went out on the open call behind the last step's, and its span (begun with the write); -1: none.
    private long _aheadStep = -1;
    private Activity? _aheadSpan;

    public WorkerClient(WorkerEndpoint endpoint, int rank, string? token)
    {
        Endpoint = endpoint;
        Rank = rank;
        _channel = GrpcChannels.Create(endpoint.Address, new GrpcChannelSettings { MaxSendMessageSize = MessageLimit, MaxReceiveMessageSize = MessageLimit });
        _stepChannel = GrpcChannels.Create(endpoint.Address,
            new GrpcChannelSettings { MaxSendMessageSize = MessageLimit, MaxReceiveMessageSize = MessageLimit, LargeResponseStreams = true });
        _control = new WorkerControl.WorkerControlClient(_channel);
        _step = new Method<OutgoingStepRequest, IncomingStepResponse>(MethodType.DuplexStreaming, WorkerControl.Descriptor.FullName, "Step",
            ClusterMarshallers.WriteOnly<OutgoingStepRequest>(OutgoingStepRequest.Write),
            ClusterMarshallers.ReadOnly(context => IncomingStepResponse.Read(context, _sink)));
        _headers = BearerToken.Headers(token);
    }

    public WorkerEndpoint Endpoint { get; }

    public int Rank { get; }

    public Task<PrepareJobResponse> PrepareAsync(PrepareJobRequest request, long step, TimeSpan timeout, CancellationToken cancellationToken) =>
        CallAsync(async () => await _control.PrepareJobAsync(request, Options(timeout, cancellationToken)), step, "prepare", cancellationToken);

    /// <summary>
    /// One step on this worker's Step stream: sends <paramref name="header"/> and the parameter pieces of
    /// <paramref name="pieces"/> (this rank's <see cref="SegmentSync"/> parts; none when the header carries a segment
    /// update), unless the last step already sent the header behind its own, writes the returned segment of the mean
    /// gradient into <paramref name="gradient"/> (none in a parameter sync, where it is null), and returns the worker's
    /// result within <paramref name="timeout"/>. <paramref name="following"/>, when given, is the next step's header, a
    /// segment update of this one: it goes out right behind this step's, so that the worker starts the next step as
    /// soon as it has answered this one; its span begins then, under <paramref name="followingSpan"/>.
    /// </summary>
    public async Task<StepResult> StepAsync(StepHeader header, IReadOnlyList<SegmentSync.Part> pieces, StepGradient? gradient,
        int worldSize, string phase, TimeSpan timeout, StepHeader? following, ActivityContext followingSpan, CancellationToken cancellationToken)
    {
        bool sent = _aheadStep == header.Step && _stepCall is not null && _stepCallGeneration == header.Generation;
        using var span = sent ? _aheadSpan : StartCallSpan(default);
        (_aheadStep, _aheadSpan) = (-1, null);
        if (!sent)
        {
            header.TraceParent = (span ?? Activity.Current)?.Id ?? "";
        }
        try
        {
            return await CallAsync(() => RunStepWithinAsync(header, sent ? null : pieces, gradient, worldSize, timeout, following, followingSpan, cancellationToken),
                header.Step, phase, cancellationToken);
        }
        catch (Exception failure)
        {
            // Whatever failed, the call is left mid-step: drop it (the worker's end of it fails too), the next step opens another.
            AbandonStepCall();
            span?.SetStatus(ActivityStatusCode.Error, failure.Message);
            throw;
        }
    }

    /// <summary>The span of one step's call, a client span under <paramref name="parent"/> (default: the current span).</summary>
    private Activity? StartCallSpan(ActivityContext parent)
    {
        var span = TrainingDiagnostics.Source.StartActivity(TrainingSpans.StepCall, ActivityKind.Client, parent);
        span?.SetTag(TrainingAttributes.WorkerId, Endpoint.Id);
        span?.SetTag(TrainingAttributes.WorkerRank, Rank);
        return span;
    }

    /// <summary>
    /// The step within its own deadline (the stream has none: it outlives the step); a missed one comes out as the
    /// DEADLINE_EXCEEDED status a call's deadline gives, so it is classified the same way. Null
    /// <paramref name="pieces"/>: the header went out with the last step.
    /// </summary>
    private async Task<StepResult> RunStepWithinAsync(StepHeader header, IReadOnlyList<SegmentSync.Part>? pieces, StepGradient? gradient,
        int worldSize, TimeSpan timeout, StepHeader? following, ActivityContext followingSpan, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await RunStepAsync(header, pieces, gradient, worldSize, following, followingSpan, deadline.Token);
        }
        catch (Exception failure) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"no StepResult within {timeout.TotalSeconds:0.###} s"), failure.Message);
        }
    }

    private async Task<StepResult> RunStepAsync(StepHeader header, IReadOnlyList<SegmentSync.Part>? pieces, StepGradient? gradient,
        int worldSize, StepHeader? following, ActivityContext followingSpan, CancellationToken cancellationToken)
    {
        var (offset, length) = gradient is null ? (0, 0) : RingSegments.Range(gradient.FlatLength, worldSize, Rank);
        _sink.Begin(gradient, offset, offset + length);
        try
        {
            var call = pieces is null ? _stepCall! : await StepCallAsync(header.Generation);
            if (pieces is not null)
            {
                await SendAsync(call, header, pieces, cancellationToken);
            }
            if (following is not null)
            {
                var span = StartCallSpan(followingSpan);
                following.TraceParent = span?.Id ?? "";
                (_aheadStep, _aheadSpan) = (following.Step, span);
                await SendAsync(call, following, [], cancellationToken);
            }
            while (await call.ResponseStream.MoveNext(cancellationToken))
            {
                var response = call.ResponseStream.Current;
                if (response.Malformed is { } malformed)
                {
                    // What the generated parser reports for bytes that are not the message.
                    throw new RpcException(new Status(StatusCode.Internal, $"Failed to parse StepResponse: {malformed}"));
                }
                if (response.Invalid is { } invalid)
                {
                    throw new InvalidDataException(invalid);
                }
                if (response.Kind == StepResponse.KindOneofCase.Result)
                {
                    return _sink.Missing() is { } missing ? throw new InvalidDataException(missing) : response.Result!;
                }
                if (response.Kind != StepResponse.KindOneofCase.Gradients)
                {
                    throw new InvalidDataException("it answered an empty message");
                }
            }
            throw new InvalidDataException("its answer ended without a StepResult");
        }
        finally
        {
            _sink.End();
            _request.Clear();
        }
    }

    /// <summary>The open Step call of <paramref name="generation"/>; one of an earlier generation is closed and a new one opened.</summary>
    private async Task<AsyncDuplexStreamingCall<OutgoingStepRequest, IncomingStepResponse>> StepCallAsync(long generation)
    {
        if (_stepCall is not null && _stepCallGeneration == generation)
        {
            return _stepCall;
        }
        await CloseStepCallAsync();
        // The call lasts as long as the generation: opened outside the step's trace, so that the gRPC spans of the call,
        // if recorded, make a trace of their own instead of stretching the first step's.
        var current = Activity.Current;
        Activity.Current = null;
        try
        {
            _stepCall = _stepChannel.CreateCallInvoker().AsyncDuplexStreamingCall(_step, null, new CallOptions(_headers));
        }
        finally
        {
            Activity.Current = current;
        }
        _stepCallGeneration = generation;
        return _stepCall;
    }

    /// <summary>Ends the open Step call, if any, as the protocol ends it: the request side completed between steps.</summary>
    private async Task CloseStepCallAsync()
    {
        if (_stepCall is not { } call)
        {
            return;
        }
        _stepCall = null;
        ForgetAhead();
        try
        {
            using var wait = new CancellationTokenSource(CloseTimeout);
            await call.RequestStream.CompleteAsync();
            while (await call.ResponseStream.MoveNext(wait.Token))
            {
                // Nothing comes between steps; a worker that answers anyway is done with.
            }
        }
        catch (Exception failure) when (failure is RpcException or HttpRequestException or IOException or InvalidOperationException or OperationCanceledException)
        {
            // The worker ended the call or is gone: the call is over either way.
        }
        finally
        {
            call.Dispose();
        }
    }

    /// <summary>Drops the open Step call if a header went out on it for a step that will not be run.</summary>
    public void GiveUpAhead()
    {
        if (_aheadStep >= 0)
        {
            AbandonStepCall();
        }
    }

    private void AbandonStepCall()
    {
        _stepCall?.Dispose();
        _stepCall = null;
        ForgetAhead();
    }

    private void ForgetAhead()
    {
        _aheadStep = -1;
        _aheadSpan?.Dispose();
        _aheadSpan = null;
    }

    public Task<EvaluateResponse> EvaluateAsync(EvaluateRequest request, long step, TimeSpan timeout, CancellationToken cancellationToken) =>
        CallAsync(async () => await _control.EvaluateAsync(request, Options(timeout, cancellationToken)), step, "evaluate", cancellationToken);

    /// <summary>Asks the worker to forget the job; a worker that does not answer is left alone.</summary>
    public async Task StopAsync(string jobId, TimeSpan timeout)
    {
        await CloseStepCallAsync();
        try
        {
            await _control.StopJobAsync(new StopJobRequest { JobId = jobId }, Options(timeout, CancellationToken.None));
        }
        catch (Exception failure) when (failure is RpcException or HttpRequestException or IOException)
        {
            // Best effort: a worker that is gone has nothing to free, and one that comes back is prepared anew.
        }
    }

    /// <summary>
    /// Sends the header and the pieces of <paramref name="parts"/>; the request stream stays open for the next step. A
    /// worker that ends the call early (it refused the header, say) makes the writes fail with a status of the client's; its own status
    /// then comes from the response stream.
    /// </summary>
    private async Task SendAsync(AsyncDuplexStreamingCall<OutgoingStepRequest, IncomingStepResponse> call, StepHeader header,
        IReadOnlyList<SegmentSync.Part> parts, CancellationToken cancellationToken)
    {
        try
        {
            await call.RequestStream.WriteAsync(_request.Header(header), cancellationToken);
            foreach (var part in parts)
            {
                await RawElements.WritePiecesAsync<float>(part.Vector, part.Start, part.Length,
                    (start, values) => call.RequestStream.WriteAsync(_request.Parameters(part.Offset + (start - part.Start), values), cancellationToken));
            }
        }
        catch (Exception failure) when (failure is RpcException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            while (await call.ResponseStream.MoveNext(cancellationToken))
            {
                // Pieces before the worker's failure are of no use: the status is what counts.
            }
            if (failure is RpcException)
            {
                throw;
            }
            // The call had ended OK before this step (the worker stopped the job between steps): nothing took the header.
            throw new InvalidDataException("it had ended its Step stream before this step's header", failure);
        }
    }

    /// <summary>Runs one call of <paramref name="phase"/>; its failure comes out as a <see cref="WorkerFailedException"/>.</summary>
    private async Task<T> CallAsync<T>(Func<Task<T>> call, long step, string phase, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (Exception failure) when (IsCallFailure(failure, cancellationToken))
        {
            throw Failed(step, phase, failure);
        }
        catch (Exception failure) when (IsCancellation(failure, cancellationToken))
        {
            throw new OperationCanceledException("The call was cancelled", failure, cancellationToken);
        }
    }

    private CallOptions Options(TimeSpan timeout, CancellationToken cancellationToken) =>
        new(_headers, DateTime.UtcNow + timeout, cancellationToken);

    /// <summary>A failure of this call, as opposed to the caller cancelling it.</summary>
    private static bool IsCallFailure(Exception failure, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested
        && failure is RpcException or HttpRequestException or IOException or InvalidDataException or OperationCanceledException;

    /// <summary>The caller cancelled: the channel reports it as CANCELLED, callers expect an OperationCanceledException.</summary>
    private static bool IsCancellation(Exception failure, CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested && failure is not OperationCanceledException;

    private WorkerFailedException Failed(long step, string phase, Exception failure)
    {
        var (kind, peer) = Classify(failure);
        string? piece = (failure as RpcException)?.Trailers.GetValue(StepTrailers.RingPiece);
        string detail = failure switch
        {
            RpcException rpc when rpc.StatusCode == StatusCode.DeadlineExceeded => $"no answer within its deadline ({rpc.Status.Detail})",
            RpcException rpc => $"{rpc.StatusCode} {rpc.Status.Detail}",
            _ => failure.Message,
        };
        return new WorkerFailedException(Endpoint.Id, Rank, step, phase, detail, failure, kind, peer, peer is null ? null : piece,
            peer is null ? null : Position((failure as RpcException)?.Trailers.GetValue(StepTrailers.RingPosition)));
    }

    /// <summary>"PHASE ROUND" as the worker's ring-position trailer says; null when absent or malformed.</summary>
    private static (int Phase, int Round)? Position(string? text)
    {
        var parts = text?.Split(' ');
        return parts is [var phase, var round]
            && int.TryParse(phase, NumberStyles.None, CultureInfo.InvariantCulture, out int p)
            && int.TryParse(round, NumberStyles.None, CultureInfo.InvariantCulture, out int r)
            ? (p, r)
            : null;
    }

    /// <summary>
    /// Who is at fault: a worker that names a ring peer (the worker's trailer, not its text) blames the peer; a
    /// refused or reset connection means the process is gone; a missed deadline is the worker's own.
    /// </summary>
    private static (WorkerFailureKind Kind, int? PeerRank) Classify(Exception failure) => failure switch
    {
        RpcException { StatusCode: StatusCode.Aborted } rpc
            when int.TryParse(rpc.Trailers.GetValue(StepTrailers.PeerRank), NumberStyles.None, CultureInfo.InvariantCulture, out int peer) =>
            (WorkerFailureKind.PeerFailed, peer),
        RpcException { StatusCode: StatusCode.DeadlineExceeded } or OperationCanceledException => (WorkerFailureKind.NoAnswer, null),
        // Unavailable: connection refused or lost; Cancelled that the coordinator did not ask for, or Internal (the
        // client's status for a stream the peer reset, e.g. a server shutting down): the server dropped the call. The
        // worker's own errors come as INVALID_ARGUMENT, FAILED_PRECONDITION or ABORTED.
        RpcException { StatusCode: StatusCode.Unavailable or StatusCode.Cancelled or StatusCode.Internal } or HttpRequestException or IOException =>
            (WorkerFailureKind.Gone, null),
        _ => (WorkerFailureKind.Refused, null),
    };

    public void Dispose()
    {
        AbandonStepCall();
        _stepChannel.Dispose();
        _channel.Dispose();
    }
}
