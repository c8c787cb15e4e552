using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace DistributedTrainer.Coordinator.Dashboard;

/// <summary>
/// The dashboard's API takes the Jobs API's bearer token (the client token), presented as <c>Authorization: Bearer T</c>
/// by the page's fetch calls, its event streams included (fetch, not EventSource, which cannot send headers). Without a
/// client token the API is open, as the Jobs API is.
/// </summary>
internal static class DashboardAccess
{
    private const string Scheme = "Bearer ";

    /// <summary>An endpoint filter that answers 401 (and nothing of the data) unless the request presents <paramref name="token"/>.</summary>
    public static Func<EndpointFilterInvocationContext, EndpointFilterDelegate, ValueTask<object?>> RequireToken(string? token) =>
        async (invocation, next) =>
        {
            if (token is not null && !Presents(invocation.HttpContext.Request, token))
            {
                invocation.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
                return Results.Json(new { error = "Missing or wrong bearer token (the coordinator's client token)." }, statusCode: StatusCodes.Status401Unauthorized);
            }
            return await next(invocation);
        };

    /// <summary>True when <paramref name="request"/> carries <c>Authorization: Bearer <paramref name="token"/></c>.</summary>
    public static bool Presents(HttpRequest request, string token)
    {
        string header = request.Headers.Authorization.ToString();
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        // Constant time: how many leading characters match must not show in the answer's timing.
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[Scheme.Length..]), Encoding.UTF8.GetBytes(token));
    }
}
