using Microsoft.AspNetCore.Connections;

namespace DistributedTrainer.Transport.Internal;

/// <summary>Hands Kestrel <see cref="LargeBlockMemoryPool"/>s: registered by <see cref="GrpcServerHosting"/>.</summary>
internal sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public System.Buffers.MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();
}
