using System.Collections.Frozen;
using System.Diagnostics;
using DistributedTrainer.Rpc.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace DistributedTrainer.Rpc;

/// <summary>
/// Routes gRPC requests (<c>POST /{package.Service}/{Method}</c>) to the services added to it. Hosted by
/// <see cref="GrpcApplicationBuilderExtensions.UseGrpc"/> or <see cref="GrpcHost"/>. A gRPC request for a
/// path it does not know ends with UNIMPLEMENTED; other requests pass on to the next middleware.
/// </summary>
public sealed class GrpcRouter
{
    private readonly Lock _gate = new();
    private FrozenDictionary<string, ServerMethod> _methods = FrozenDictionary<string, ServerMethod>.Empty;
    private IReadOnlyList<ServiceDescriptor> _services = [];
    private ILogger? _logger;
    private CancellationToken? _stopping;

    /// <summary>Creates a router with <paramref name="options"/> (defaults when null).</summary>
    /// <exception cref="ArgumentException">A message size limit is not positive.</exception>
    public GrpcRouter(GrpcServerOptions? options = null)
    {
        Options = options ?? new GrpcServerOptions();
        if (Options.MaxReceiveMessageSize <= 0)
        {
            throw new ArgumentException($"Invalid MaxReceiveMessageSize: {Options.MaxReceiveMessageSize} (must be positive)", nameof(options));
        }

        if (Options.MaxSendMessageSize <= 0)
        {
            throw new ArgumentException($"Invalid MaxSendMessageSize: {Options.MaxSendMessageSize} (must be positive)", nameof(options));
        }
    }

    /// <summary>The settings every call uses.</summary>
    public GrpcServerOptions Options { get; }

    /// <summary>The services added so far, in order.</summary>
    public IReadOnlyList<ServiceDescriptor> Services => Volatile.Read(ref _services);

    /// <summary>Adds a service; may be called while serving.</summary>
    /// <exception cref="ArgumentException">A service of the same name was already added.</exception>
    public GrpcRouter AddService(GrpcServiceDefinition service)
    {
        ArgumentNullException.ThrowIfNull(service);
        lock (_gate)
        {
            if (_services.Any(s => s.FullName == service.Descriptor.FullName))
            {
                throw new ArgumentException($"Invalid service: {service.Descriptor.FullName} was already added", nameof(service));
            }

            var methods = new Dictionary<string, ServerMethod>(_methods, StringComparer.Ordinal);
            foreach (ServerMethod method in service.Methods)
            {
                methods.Add(method.Path, method);
            }

            Volatile.Write(ref _methods, methods.ToFrozenDictionary(StringComparer.Ordinal));
            Volatile.Write(ref _services, [.. _services, service.Descriptor]);
        }

        return this;
    }

    /// <summary>Handles <paramref name="http"/> when it is a gRPC request, else calls <paramref name="next"/>.</summary>
    internal async Task DispatchAsync(HttpContext http, RequestDelegate next)
    {
        HttpRequest request = http.Request;
        string path = request.Path.Value ?? string.Empty;
        bool known = Volatile.Read(ref _methods).TryGetValue(path, out ServerMethod? method);
        bool grpcContent = GrpcProtocol.IsGrpcContentType(request.ContentType);
        if (!HttpMethods.IsPost(request.Method) || (!known && !grpcContent))
        {
            await next(http);
            return;
        }

        ILogger logger = _logger ??= http.RequestServices?.GetService<ILoggerFactory>()?.CreateLogger<GrpcRouter>() ?? NullLogger<GrpcRouter>.Instance;
        CancellationToken stopping = _stopping ??= http.RequestServices?.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        if (!grpcContent)
        {
            Reject(http, logger, StatusCodes.Status415UnsupportedMediaType, StatusCode.Internal, $"Content-Type '{request.ContentType}' is not supported (expected {GrpcProtocol.ContentType})");
            return;
        }

        if (!HttpProtocol.IsHttp2(request.Protocol))
        {
            Reject(http, logger, StatusCodes.Status426UpgradeRequired, StatusCode.Internal, $"Request protocol '{request.Protocol}' is not supported (gRPC needs HTTP/2)");
            return;
        }

        if (!known)
        {
            Reject(http, logger, StatusCodes.Status200OK, StatusCode.Unimplemented, $"Method {path} is not implemented");
            return;
        }

        string? encoding = request.Headers[GrpcProtocol.EncodingHeader];
        if (!GrpcProtocol.IsSupportedEncoding(encoding))
        {
            Reject(http, logger, StatusCodes.Status200OK, StatusCode.Unimplemented, $"Message encoding '{encoding}' is not supported (supported: {GrpcProtocol.AcceptEncodingValue})");
            return;
        }

        TimeSpan? timeout = null;
        string? timeoutHeader = request.Headers[GrpcProtocol.TimeoutHeader];
        if (timeoutHeader is not null)
        {
            if (!GrpcTimeout.TryParse(timeoutHeader, out TimeSpan parsed))
            {
                Reject(http, logger, StatusCodes.Status200OK, StatusCode.Internal, $"Invalid grpc-timeout: '{timeoutHeader}' (must be 1 to 8 digits and a unit from H M S m u n)");
                return;
            }

            timeout = parsed;
        }

        Activity? activity = RpcActivity.StartServer(method!.Descriptor, method.SpanName, http);
        (StatusCode code, string detail) = (StatusCode.Unknown, "Call did not end");
        try
        {
            using var call = new ServerCall(http, Options, path, timeout, encoding, stopping);
            (code, detail) = await call.RunAsync(method, logger);
        }
        finally
        {
            RpcActivity.Stop(activity, code, detail, server: true);
        }
    }

    private static void Reject(HttpContext http, ILogger logger, int httpStatus, StatusCode code, string detail)
    {
        RpcLog.CallRejected(logger, http.Request.Path.Value ?? string.Empty, code, detail);
        ServerCall.WriteTrailersOnly(http.Response, code, detail);
        http.Response.StatusCode = httpStatus;
    }
}
