using System.Security.Cryptography;
using System.Text;

namespace DistributedTrainer.Transport;

/// <summary>
/// Which bearer token each service accepts: its own (<see cref="GrpcEndpointOptions.ServiceTokens"/>), else the
/// server's default, and none for the open services. Tokens are kept as SHA-256 digests of their header value and a
/// presented header is compared by digest in constant time, so neither the bytes nor the length of a token show in
/// how long a refusal takes.
/// </summary>
public sealed class BearerTokenPolicy
{
    private readonly byte[]? _default;
    private readonly Dictionary<string, byte[]?> _services;
    private readonly HashSet<string> _open;

    /// <param name="defaultToken">The token of every service not otherwise named; null: such services are open.</param>
    /// <param name="serviceTokens">Service full name to its token; a null token leaves that service open.</param>
    /// <param name="openServices">Services that take no token at all (health).</param>
    /// <exception cref="ArgumentException">A token is empty.</exception>
    public BearerTokenPolicy(string? defaultToken, IReadOnlyDictionary<string, string?> serviceTokens, IEnumerable<string> openServices)
    {
        ArgumentNullException.ThrowIfNull(serviceTokens);
        ArgumentNullException.ThrowIfNull(openServices);
        _default = Digest(defaultToken);
        _services = serviceTokens.ToDictionary(entry => entry.Key, entry => Digest(entry.Value), StringComparer.Ordinal);
        _open = new HashSet<string>(openServices, StringComparer.Ordinal);
    }

    /// <summary>
    /// Null when a call to <paramref name="method"/> (<c>/package.Service/Method</c>) with the <c>authorization</c>
    /// header <paramref name="authorization"/> may go on; otherwise why not, without the header's content.
    /// </summary>
    public string? Refusal(string method, string? authorization)
    {
        ArgumentNullException.ThrowIfNull(method);
        string service = ServiceOf(method);
        if (_open.Contains(service))
        {
            return null;
        }
        byte[]? expected = _services.TryGetValue(service, out var own) ? own : _default;
        if (expected is null)
        {
            return null;
        }
        if (authorization is null)
        {
            return "Missing bearer token";
        }
        byte[] presented = SHA256.HashData(Encoding.UTF8.GetBytes(authorization));
        return CryptographicOperations.FixedTimeEquals(presented, expected) ? null : "Invalid bearer token";
    }

    private static string ServiceOf(string method)
    {
        int end = method.LastIndexOf('/');
        return end > 1 && method[0] == '/' ? method[1..end] : method;
    }

    private static byte[]? Digest(string? token)
    {
        if (token is null)
        {
            return null;
        }
        ArgumentException.ThrowIfNullOrEmpty(token);
        return SHA256.HashData(Encoding.UTF8.GetBytes("Bearer " + token));
    }
}
