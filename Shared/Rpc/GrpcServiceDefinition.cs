using DistributedTrainer.Rpc.Internal;
using Google.Protobuf.Reflection;

namespace DistributedTrainer.Rpc;

/// <summary>A service with its bound methods, ready to add to a <see cref="GrpcRouter"/>. Built by <see cref="GrpcServiceBuilder"/>.</summary>
public sealed class GrpcServiceDefinition
{
    internal GrpcServiceDefinition(ServiceDescriptor descriptor, IReadOnlyList<ServerMethod> methods)
    {
        Descriptor = descriptor;
        Methods = methods;
    }

    /// <summary>The service descriptor.</summary>
    public ServiceDescriptor Descriptor { get; }

    internal IReadOnlyList<ServerMethod> Methods { get; }
}
