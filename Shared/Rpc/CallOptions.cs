namespace DistributedTrainer.Rpc;

/// <summary>Per-call settings of a client call.</summary>
/// <param name="Deadline">
/// The UTC time by which the call must finish; sent as <c>grpc-timeout</c> and enforced locally on the send
/// and every read and write (DEADLINE_EXCEEDED). Null (the default) means no deadline.
/// </param>
/// <param name="Headers">Metadata sent with the request; none when null.</param>
/// <param name="CancellationToken">Cancels the call (CANCELLED); the server sees it as a reset stream.</param>
public readonly record struct CallOptions(DateTime? Deadline = null, Metadata? Headers = null, CancellationToken CancellationToken = default)
{
    /// <summary>Options with a deadline <paramref name="timeout"/> from now.</summary>
    public static CallOptions WithTimeout(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        new(DateTime.UtcNow + timeout, null, cancellationToken);
}
