using Xunit;

namespace DistributedTrainer.Tests.Reports;

/// <summary>A fact that is skipped, saying why, where /usr/bin/python3 or Debian's python3-protobuf is missing.</summary>
public sealed class PythonProtobufFactAttribute : FactAttribute
{
    public PythonProtobufFactAttribute()
    {
        if (!EventFileReader.IsAvailable)
        {
            Skip = EventFileReader.SkipReason;
        }
    }
}
