using Xunit;

namespace DistributedTrainer.Tests.Transport;

/// <summary>A fact that is skipped, saying why, where buf is not installed.</summary>
public sealed class BufFactAttribute : FactAttribute
{
    public BufFactAttribute()
    {
        if (BufCurl.Executable is null)
        {
            Skip = BufCurl.SkipReason;
        }
    }
}
