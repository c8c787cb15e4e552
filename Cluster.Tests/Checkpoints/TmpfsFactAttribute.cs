using Xunit;

namespace DistributedTrainer.Tests.Checkpoints;

/// <summary>A fact that needs a small tmpfs (a disk that fills up); skipped, saying why, where mounting one is not permitted.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (TmpfsMount.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}
