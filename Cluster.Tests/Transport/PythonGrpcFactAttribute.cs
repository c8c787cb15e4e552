using Xunit;

namespace DistributedTrainer.Tests.Transport;

/// <summary>A fact that is skipped, saying why, where Debian's python3-grpcio is missing.</summary>
public sealed class PythonGrpcFactAttribute : FactAttribute
{
    public PythonGrpcFactAttribute()
    {
        if (!PythonGrpc.IsAvailable)
        {
            Skip = PythonGrpc.SkipReason;
        }
    }
}
