using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using DistributedTrainer.ClusterApi;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Rpc;
using DistributedTrainer.Training;
using DistributedTrainer.Training.Collective;
using Google.Protobuf;

namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// The coordinator's side of one worker's WorkerControl calls: every call has a deadline, and every failure comes
/// out as a <see cref="WorkerFailedException"/> that names the worker, its rank, the step and the phase.
/// </summary>
internal sealed class WorkerClient : IDisposable
{
    // Pieces are at most 1 MiB (RawElements.MaxPieceBytes): the gRPC default 4 MiB limit holds them with room.
    private const int MessageLimit = 4 * 1024 * 1024;

    private readonly RpcChannel _channel;
    private readonly Metadata? _headers;
    // One parameter piece, reused: a stream write serializes the message before it returns.
    private readonly byte[] _piece = new byte[RawElements.MaxPieceBytes];
    private readonly StepRequest _pieceRequest = new() { Parameters = new ParameterPiece() };

    public WorkerClient(WorkerEndpoint endpoint, int rank, string? token)
    {
        Endpoint = endpoint;
        Rank = rank;
        _channel = new RpcChannel(endpoint.Address, new RpcChannelOptions { MaxSendMessageSize = MessageLimit, MaxReceiveMessageSize = MessageLimit });
        _headers = BearerTokenAuth.Headers(token);
    }

    public WorkerEndpoint Endpoint { get; }

    public int Rank { get; }

    public Task<PrepareJobResponse> PrepareAsync(PrepareJobRequest request, long step, TimeSpan timeout, CancellationToken cancellationToken) =>
        CallAsync(() => _channel.UnaryAsync(WorkerControlMethods.PrepareJob, request, Options(timeout, cancellationToken)), step, "prepare", cancellationToken);

    /// <summary>
    /// One Step call: sends <paramref name="header"/> and this rank's segment of <paramref name="parameters"/>,
    /// writes the returned gradient segment into <paramref name="gradients"/> (flat indices below its length) and
    /// <paramref name="bufferChanges"/> (the rest), and returns the worker's result.
    /// </summary>
    public Task<StepResult> StepAsync(StepHeader header, ReadOnlyMemory<float> parameters, int gradientLength,
        FixedPointAccumulator gradients, FixedPointAccumulator bufferChanges, int worldSize, string phase,
        TimeSpan timeout, CancellationToken cancellationToken) =>
        CallAsync(async () =>
        {
            // Responses read as bytes: each gradient piece is copied once, from the received bytes into the sums.
            using var call = _channel.DuplexStreamingRaw(WorkerControlMethods.Step, Options(timeout, cancellationToken));
            await call.RequestStream.WriteAsync(new StepRequest { Header = header }, cancellationToken);
            await SendParametersAsync(call.RequestStream, parameters, worldSize, cancellationToken);
            await call.RequestStream.CompleteAsync();

            var (offset, length) = RingSegments.Range(gradientLength, worldSize, Rank);
            long expected = offset;
            while (await call.ResponseStream.MoveNext(cancellationToken))
            {
                if (StepResponseParser.TryParse(call.ResponseStream.Current, out var response) is { } malformed)
                {
                    // What the generated parser reports for bytes that are not the message.
                    throw new RpcException(StatusCode.Internal, $"Failed to parse StepResponse: {malformed}");
                }
                if (response.Kind == StepResponse.KindOneofCase.Result)
                {
                    if (expected != offset + length)
                    {
                        throw new InvalidDataException($"its gradient pieces cover [{offset}, {expected}) of its segment [{offset}, {offset + length})");
                    }
                    // Read on to the trailers: the call ends with the worker's OK instead of being cancelled under it.
                    if (await call.ResponseStream.MoveNext(cancellationToken))
                    {
                        throw new InvalidDataException("it answered more after its StepResult");
                    }
                    return response.Result!;
                }
                expected = CopyGradients(response, expected, offset + length, gradients, bufferChanges);
            }
            throw new InvalidDataException("its answer ended without a StepResult");
        }, header.Step, phase, cancellationToken);

    public Task<EvaluateResponse> EvaluateAsync(EvaluateRequest request, long step, TimeSpan timeout, CancellationToken cancellationToken) =>
        CallAsync(() => _channel.UnaryAsync(WorkerControlMethods.Evaluate, request, Options(timeout, cancellationToken)), step, "evaluate", cancellationToken);

    /// <summary>Asks the worker to forget the job; a worker that does not answer is left alone.</summary>
    public async Task StopAsync(string jobId, TimeSpan timeout)
    {
        try
        {
            await _channel.UnaryAsync(WorkerControlMethods.StopJob, new StopJobRequest { JobId = jobId }, Options(timeout, CancellationToken.None));
        }
        catch (Exception failure) when (failure is RpcException or HttpRequestException or IOException)
        {
            // Best effort: a worker that is gone has nothing to free, and one that comes back is prepared anew.
        }
    }

    /// <summary>Elements and where they go are checked: a piece must continue the segment in order.</summary>
    private static long CopyGradients(StepResponseView piece, long expected, long end, FixedPointAccumulator gradients,
        FixedPointAccumulator bufferChanges)
    {
        if (piece.Kind != StepResponse.KindOneofCase.Gradients)
        {
            throw new InvalidDataException("it answered an empty message");
        }
        if (piece.Values.Length % sizeof(long) != 0)
        {
            throw new InvalidDataException($"its gradient piece at {piece.Offset} holds {piece.Values.Length} bytes, not whole int64 elements");
        }
        long count = piece.Values.Length / sizeof(long);
        if (piece.Offset != expected || expected + count > end)
        {
            throw new InvalidDataException($"it sent {count} gradient elements at offset {piece.Offset}; expected the segment to continue at {expected} up to {end}");
        }
        int at = (int)piece.Offset;
        int split = (int)Math.Clamp(gradients.Length - at, 0, count);
        piece.Values.Slice(0, split * sizeof(long)).CopyTo(MemoryMarshal.AsBytes(gradients.Values.Slice(at, split)));
        if (split < count)
        {
            piece.Values.Slice(split * sizeof(long)).CopyTo(
                MemoryMarshal.AsBytes(bufferChanges.Values.Slice(at + split - gradients.Length, (int)count - split)));
        }
        return expected + count;
    }

    private async Task SendParametersAsync(IClientStreamWriter<StepRequest> requests, ReadOnlyMemory<float> parameters,
        int worldSize, CancellationToken cancellationToken)
    {
        var (offset, length) = RingSegments.Range(parameters.Length, worldSize, Rank);
        var piece = _pieceRequest.Parameters;
        try
        {
            await RawElements.WritePiecesAsync(parameters, offset, length, _piece, (start, values) =>
            {
                piece.Offset = start;
                piece.Values = values;
                return requests.WriteAsync(_pieceRequest, cancellationToken);
            });
        }
        finally
        {
            piece.Values = ByteString.Empty;
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
        new(DateTime.UtcNow + timeout, _headers, cancellationToken);

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
        string? piece = (failure as RpcException)?.Trailers.GetValue(WorkerControlMethods.RingPieceTrailer);
        string detail = failure switch
        {
            RpcException rpc when rpc.StatusCode == StatusCode.DeadlineExceeded => $"no answer within its deadline ({rpc.Detail})",
            RpcException rpc => $"{rpc.StatusCode} {rpc.Detail}",
            _ => failure.Message,
        };
        return new WorkerFailedException(Endpoint.Id, Rank, step, phase, detail, failure, kind, peer, peer is null ? null : piece,
            peer is null ? null : Position((failure as RpcException)?.Trailers.GetValue(WorkerControlMethods.RingPositionTrailer)));
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
            when int.TryParse(rpc.Trailers.GetValue(WorkerControlMethods.PeerRankTrailer), NumberStyles.None, CultureInfo.InvariantCulture, out int peer) =>
            (WorkerFailureKind.PeerFailed, peer),
        RpcException { StatusCode: StatusCode.DeadlineExceeded } or OperationCanceledException => (WorkerFailureKind.NoAnswer, null),
        // Unavailable: connection refused or lost; Cancelled that the coordinator did not ask for, or Internal (the
        // client's status for a stream the peer reset, e.g. a server shutting down): the server dropped the call. The
        // worker's own errors come as INVALID_ARGUMENT, FAILED_PRECONDITION or ABORTED.
        RpcException { StatusCode: StatusCode.Unavailable or StatusCode.Cancelled or StatusCode.Internal } or HttpRequestException or IOException =>
            (WorkerFailureKind.Gone, null),
        _ => (WorkerFailureKind.Refused, null),
    };

    public void Dispose() => _channel.Dispose();
}
