using DistributedTrainer.Worker.Direct;
using Grpc.Core;

namespace DistributedTrainer.Worker.Control;

/// <summary>
/// trainer.v1.WorkerControl/Step served as a <see cref="DirectCall"/>: the coordinator's lean client opens a connection
/// for each Step call, and the worker's answers (the mean gradient's pieces) leave as DATA frames whose payload the
/// socket sends straight from the vector. The steps themselves are <see cref="WorkerControlService"/>'s, as on Kestrel.
/// </summary>
internal static class DirectStepStream
{
    /// <summary>The largest request message read: the coordinator's (WorkerClient) and Kestrel's limit.</summary>
    private const int MaxRequestBytes = 4 * 1024 * 1024;

    // The request path of the method served.
    private static readonly string Path = $"/{WorkerControlServiceBase.Descriptor.FullName}/Step";

    /// <summary>The method as a direct call serves it, with <paramref name="service"/>'s steps.</summary>
    public static DirectCall.Method Method(WorkerControlService service) =>
        new(Path, MaxRequestBytes, (call, callEnded) => service.ServeStepAsync(new Requests(call), new Responses(call), callEnded));

    /// <summary>The request's messages as the handler reads them on Kestrel (<see cref="IncomingStepRequest.Read(System.Buffers.ReadOnlySequence{byte})"/>).</summary>
    private sealed class Requests(DirectCall call) : IAsyncStreamReader<IncomingStepRequest>
    {
        public IncomingStepRequest Current { get; private set; } = null!;

        // The steps read with the call's token or one linked to it, and a read fails once the client has left.
        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            var (read, request) = await call.ReadMessageAsync(IncomingStepRequest.Read, cancellationToken);
            if (read)
            {
                Current = request;
            }
            return read;
        }
    }

    /// <summary>Each answer's fields into the call's message head, then its gradient values from the vector.</summary>
    private sealed class Responses(DirectCall call) : IServerStreamWriter<OutgoingStepResponse>
    {
        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(OutgoingStepResponse message) => WriteAsync(message, CancellationToken.None);

        public Task WriteAsync(OutgoingStepResponse message, CancellationToken cancellationToken)
        {
            int fields = message.WriteHead(call.MessageHead(message.HeadSize));
            return call.WriteMessageAsync(fields, message.Payload, cancellationToken);
        }
    }
}
