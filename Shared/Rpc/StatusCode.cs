namespace DistributedTrainer.Rpc;

/// <summary>The gRPC status codes, with the numbers the gRPC wire protocol uses in <c>grpc-status</c>.</summary>
public enum StatusCode
{
    /// <summary>Not an error.</summary>
    OK = 0,

    /// <summary>The call was cancelled, usually by the caller.</summary>
    Cancelled = 1,

    /// <summary>An error with no better code; also what a handler's unexpected exception becomes.</summary>
    Unknown = 2,

    /// <summary>The caller sent an invalid argument, whatever the state of the system.</summary>
    InvalidArgument = 3,

    /// <summary>The deadline passed before the call completed.</summary>
    DeadlineExceeded = 4,

    /// <summary>A requested entity was not found.</summary>
    NotFound = 5,

    /// <summary>The entity the caller tried to create already exists.</summary>
    AlreadyExists = 6,

    /// <summary>The caller may not run this call.</summary>
    PermissionDenied = 7,

    /// <summary>A resource or limit is exhausted, e.g. a message larger than the maximum size.</summary>
    ResourceExhausted = 8,

    /// <summary>The system is not in the state the call needs.</summary>
    FailedPrecondition = 9,

    /// <summary>The call was aborted, e.g. by a concurrency conflict.</summary>
    Aborted = 10,

    /// <summary>The call went past the valid range.</summary>
    OutOfRange = 11,

    /// <summary>The method or service is not implemented or not supported.</summary>
    Unimplemented = 12,

    /// <summary>An invariant of the system or of the protocol is broken.</summary>
    Internal = 13,

    /// <summary>The service is unavailable for now, e.g. the connection failed; retrying may help.</summary>
    Unavailable = 14,

    /// <summary>Unrecoverable data loss or corruption.</summary>
    DataLoss = 15,

    /// <summary>The call has no valid credentials.</summary>
    Unauthenticated = 16,
}
