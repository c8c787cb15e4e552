using DistributedTrainer.Transport;
using Microsoft.AspNetCore.Builder;

namespace DistributedTrainer.Rpc;

/// <summary>Hosts a <see cref="GrpcRouter"/> in an ASP.NET Core pipeline.</summary>
public static class GrpcApplicationBuilderExtensions
{
    /// <summary>
    /// Serves the services of <paramref name="router"/>; requests that are not gRPC pass on. The endpoint must
    /// speak HTTP/2: see <see cref="GrpcKestrel.UseGrpcProtocols"/>.
    /// </summary>
    public static IApplicationBuilder UseGrpc(this IApplicationBuilder app, GrpcRouter router)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(router);
        return app.Use(next => http => router.DispatchAsync(http, next));
    }
}
