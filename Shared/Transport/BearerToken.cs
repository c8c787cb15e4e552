using Grpc.Core;

namespace DistributedTrainer.Transport;

/// <summary>How every client of this project presents a bearer token.</summary>
public static class BearerToken
{
    /// <summary>The headers that present <paramref name="token"/>; null (none) without a token.</summary>
    public static Metadata? Headers(string? token) => token is null ? null : new Metadata { { "authorization", "Bearer " + token } };
}
