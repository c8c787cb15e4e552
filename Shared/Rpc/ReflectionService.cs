using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Reflection.V1Alpha;

namespace DistributedTrainer.Rpc;

/// <summary>
/// The standard <c>grpc.reflection.v1alpha.ServerReflection</c> service, so that <c>grpcurl list</c> and
/// <c>describe</c> work: lists the services of a <see cref="GrpcRouter"/> and serves their proto files with all
/// transitive dependencies.
/// </summary>
/// <example><code>router.AddService(new ReflectionService(router).Definition);</code></example>
public sealed class ReflectionService
{
    private readonly GrpcRouter _router;

    /// <summary>Creates the service; it describes whatever services <paramref name="router"/> holds when asked.</summary>
    public ReflectionService(GrpcRouter router)
    {
        ArgumentNullException.ThrowIfNull(router);
        _router = router;
        Definition = new GrpcServiceBuilder(ReflectionReflection.Descriptor.Services[0])
            .DuplexStreaming<ServerReflectionRequest, ServerReflectionResponse>("ServerReflectionInfo", InfoAsync)
            .Build();
    }

    /// <summary>The service, to add to the router it describes.</summary>
    public GrpcServiceDefinition Definition { get; }

    private async Task InfoAsync(IAsyncStreamReader<ServerReflectionRequest> requests, IServerStreamWriter<ServerReflectionResponse> responses, ServerCallContext context)
    {
        var index = new SymbolIndex(_router.Services);
        while (await requests.MoveNext(context.CancellationToken))
        {
            await responses.WriteAsync(Answer(requests.Current, index), context.CancellationToken);
        }
    }

    private ServerReflectionResponse Answer(ServerReflectionRequest request, SymbolIndex index)
    {
        var response = new ServerReflectionResponse { ValidHost = request.Host, OriginalRequest = request };
        switch (request.MessageRequestCase)
        {
            case ServerReflectionRequest.MessageRequestOneofCase.ListServices:
                response.ListServicesResponse = new ListServiceResponse();
                response.ListServicesResponse.Service.Add(_router.Services.Select(s => new ServiceResponse { Name = s.FullName }));
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.FileByFilename:
                SetFile(response, index.FileByName(request.FileByFilename), $"File not found: {request.FileByFilename}");
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.FileContainingSymbol:
                SetFile(response, index.FileContainingSymbol(request.FileContainingSymbol), $"Symbol not found: {request.FileContainingSymbol}");
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.FileContainingExtension:
                // proto3 has no extensions outside the descriptor options this server does not serve.
                SetError(response, StatusCode.NotFound, $"Extension not found: {request.FileContainingExtension.ContainingType}({request.FileContainingExtension.ExtensionNumber})");
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.AllExtensionNumbersOfType:
                if (index.HasMessage(request.AllExtensionNumbersOfType))
                {
                    response.AllExtensionNumbersResponse = new ExtensionNumberResponse { BaseTypeName = request.AllExtensionNumbersOfType };
                }
                else
                {
                    SetError(response, StatusCode.NotFound, $"Type not found: {request.AllExtensionNumbersOfType}");
                }

                break;
            default:
                SetError(response, StatusCode.InvalidArgument, "Request sets none of the reflection requests");
                break;
        }

        return response;
    }

    private static void SetFile(ServerReflectionResponse response, FileDescriptor? file, string notFound)
    {
        if (file is null)
        {
            SetError(response, StatusCode.NotFound, notFound);
            return;
        }

        response.FileDescriptorResponse = new FileDescriptorResponse();
        response.FileDescriptorResponse.FileDescriptorProto.Add(WithDependencies(file).Select(f => f.SerializedData));
    }

    private static void SetError(ServerReflectionResponse response, StatusCode code, string message) =>
        response.ErrorResponse = new ErrorResponse { ErrorCode = (int)code, ErrorMessage = message };

    /// <summary>The file first, then every file it imports, directly or not, each once.</summary>
    private static List<FileDescriptor> WithDependencies(FileDescriptor file)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { file.Name };
        var ordered = new List<FileDescriptor> { file };
        for (int i = 0; i < ordered.Count; i++)
        {
            foreach (FileDescriptor dependency in ordered[i].Dependencies)
            {
                if (seen.Add(dependency.Name))
                {
                    ordered.Add(dependency);
                }
            }
        }

        return ordered;
    }

    /// <summary>The files and fully-qualified symbols reachable from the served services.</summary>
    private sealed class SymbolIndex
    {
        private readonly Dictionary<string, FileDescriptor> _files = new(StringComparer.Ordinal);
        private readonly Dictionary<string, FileDescriptor> _symbols = new(StringComparer.Ordinal);
        private readonly HashSet<string> _messages = new(StringComparer.Ordinal);

        public SymbolIndex(IEnumerable<ServiceDescriptor> services)
        {
            foreach (ServiceDescriptor service in services)
            {
                foreach (FileDescriptor file in WithDependencies(service.File))
                {
                    if (_files.TryAdd(file.Name, file))
                    {
                        AddSymbols(file);
                    }
                }
            }
        }

        public FileDescriptor? FileByName(string name) => _files.GetValueOrDefault(name);

        public FileDescriptor? FileContainingSymbol(string symbol) => _symbols.GetValueOrDefault(symbol.TrimStart('.'));

        public bool HasMessage(string name) => _messages.Contains(name.TrimStart('.'));

        private void AddSymbols(FileDescriptor file)
        {
            foreach (ServiceDescriptor service in file.Services)
            {
                _symbols[service.FullName] = file;
                foreach (MethodDescriptor method in service.Methods)
                {
                    _symbols[$"{service.FullName}.{method.Name}"] = file;
                }
            }

            foreach (MessageDescriptor message in file.MessageTypes)
            {
                AddMessage(message, file);
            }

            foreach (EnumDescriptor enumType in file.EnumTypes)
            {
                _symbols[enumType.FullName] = file;
            }
        }

        private void AddMessage(MessageDescriptor message, FileDescriptor file)
        {
            _symbols[message.FullName] = file;
            _messages.Add(message.FullName);
            foreach (MessageDescriptor nested in message.NestedTypes)
            {
                AddMessage(nested, file);
            }

            foreach (EnumDescriptor enumType in message.EnumTypes)
            {
                _symbols[enumType.FullName] = file;
            }
        }
    }
}
