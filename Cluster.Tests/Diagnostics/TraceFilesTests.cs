using DistributedTrainer.Diagnostics;
using Xunit;

namespace DistributedTrainer.Tests.Diagnostics;

public sealed class TraceFilesTests : IDisposable
{
    private const string Span = """{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"a000000000000001","parentSpanId":null,"name":"s","kind":"Internal","service":"p","startUnixNano":1,"durationNano":2,"status":"Unset","attributes":{},"events":[]}""";

    private readonly string _directory = Directory.CreateTempSubdirectory("dt-tracefiles-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Read_TornLastLine_LeftOut()
    {
        string path = Path.Combine(_directory, "p-1.traces.jsonl");
        File.WriteAllText(path, Span + "\n" + Span[..40]);

        Assert.Single(TraceFiles.Read(path));
    }

    [Fact]
    public void Find_OtherFiles_OnlySpanFiles()
    {
        File.WriteAllText(Path.Combine(_directory, "p-1.traces.jsonl"), "");
        File.WriteAllText(Path.Combine(_directory, "p-1.metrics.jsonl"), "");

        Assert.Equal([Path.Combine(_directory, "p-1.traces.jsonl")], TraceFiles.Find(_directory));
    }
}
