using System.Runtime.Intrinsics.X86;
using Xunit;

namespace DistributedTrainer.Tests.Reports;

/// <summary>A fact that is skipped where the processor has no SSE4.2 (ARM, old x86).</summary>
public sealed class Sse42FactAttribute : FactAttribute
{
    public Sse42FactAttribute()
    {
        if (!Sse42.IsSupported)
        {
            Skip = "SSE4.2 is not supported on this machine.";
        }
    }
}
