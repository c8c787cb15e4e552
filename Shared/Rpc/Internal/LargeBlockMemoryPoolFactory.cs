using Microsoft.AspNetCore.Connections;

namespace DistributedTrainer.Rpc.Internal;

/// <summary>Hands Kestrel <see cref="LargeBlockMemoryPool"/>s: registered in the services of a <see cref="GrpcHost"/>.</summary>
internal sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public System.Buffers.MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();
}
