using DistributedTrainer.Coordinator.Dashboard;
using Xunit;

namespace DistributedTrainer.Tests.Dashboard;

public sealed class StepWaterfallTests : IDisposable
{
    private const string Trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const long Start = 1_764_000_000_000_000_000;
    private readonly string _directory = Directory.CreateTempSubdirectory("dt-waterfall-").FullName;

    public StepWaterfallTests()
    {
        File.WriteAllText(Path.Combine(_directory, "coordinator-1.traces.jsonl"), string.Join('\n',
            Line("a000000000000001", null, "train.step", "coordinator", 0, 40_000, """{"job.id":"j-1","train.step":7}"""),
            Line("a000000000000002", "a000000000000001", "coordinator.clip", "coordinator", 30_000, 500),
            ""));
        File.WriteAllText(Path.Combine(_directory, "worker-2.traces.jsonl"), string.Join('\n',
            Line("b000000000000001", "a000000000000001", "worker.compute", "worker", 2_000, 15_000, """{"worker.rank":1}"""),
            ""));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Find_StepInFiles_LaysOutSpansInMillisecondsFromTheStep()
    {
        var waterfall = StepWaterfall.Find(_directory, "j-1", 7);

        Assert.NotNull(waterfall);
        Assert.Equal(
            [("train.step", 0, 0.0, 40.0, (int?)null), ("worker.compute", 1, 2.0, 15.0, 1), ("coordinator.clip", 1, 30.0, 0.5, null)],
            waterfall.Spans.Select(s => (s.Name, s.Depth, s.OffsetMs, s.DurationMs, s.Rank)));
    }

    [Fact]
    public void Find_StepNotTraced_IsNull()
    {
        Assert.Null(StepWaterfall.Find(_directory, "j-1", 8));
    }

    [Fact]
    public void Steps_JobInFiles_ListsItsTracedSteps()
    {
        Assert.Equal([7L], StepWaterfall.Steps(_directory, "j-1"));
    }

    [Fact]
    public void Steps_DirectoryMissing_IsEmpty()
    {
        Assert.Empty(StepWaterfall.Steps(Path.Combine(_directory, "missing"), "j-1"));
    }

    private static string Line(string span, string? parent, string name, string service, long offsetMicros, long durationMicros, string attributes = "{}") =>
        $$"""{"traceId":"{{Trace}}","spanId":"{{span}}","parentSpanId":{{(parent is null ? "null" : $"\"{parent}\"")}},"name":"{{name}}","kind":"Internal","service":"{{service}}","startUnixNano":{{Start + offsetMicros * 1000}},"durationNano":{{durationMicros * 1000}},"status":"Unset","attributes":{{attributes}},"events":[]}""";
}
