using System.Text.Json;
using DistributedTrainer.Client;
using DistributedTrainer.Client.Commands;
using Xunit;

namespace DistributedTrainer.Tests.Client;

/// <summary>`trainctl trace` over hand-written span files of one coordinator and two workers.</summary>
public sealed class TraceCommandTests : IDisposable
{
    private const string Trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string OtherTrace = "00000000000000000000000000000042";
    private const long Start = 1_764_000_000_000_000_000;

    private readonly string _directory = Directory.CreateTempSubdirectory("dt-trace-").FullName;

    public TraceCommandTests()
    {
        File.WriteAllText(Path.Combine(_directory, "coordinator-100.traces.jsonl"), string.Join('\n',
            Line(Trace, "a000000000000001", null, "train.step", "coordinator", 0, 40_000, """{"job.id":"j-1","train.step":7,"train.epoch":1}"""),
            Line(Trace, "a000000000000002", "a000000000000001", "trainer.v1.Worker/RunStep", "coordinator", 1_000, 20_000),
            Line(Trace, "a000000000000003", "a000000000000001", "trainer.v1.Worker/RunStep", "coordinator", 1_100, 22_000),
            Line(Trace, "a000000000000004", "a000000000000001", "coordinator.clip", "coordinator", 30_000, 500),
            Line(OtherTrace, "c000000000000001", null, "train.step", "coordinator", 50_000, 40_000, """{"job.id":"j-1","train.step":8,"train.epoch":1}"""),
            "") + """{"traceId":"4bf9""");
        File.WriteAllText(Path.Combine(_directory, "worker-200.traces.jsonl"), string.Join('\n',
            Line(Trace, "b000000000000001", "a000000000000002", "trainer.v1.Worker/RunStep", "worker-0", 2_000, 18_000),
            Line(Trace, "b000000000000002", "b000000000000001", "worker.compute", "worker-0", 2_500, 15_000),
            "")); // a worker that stopped mid-batch leaves a torn line; the coordinator's file ends with one
        File.WriteAllText(Path.Combine(_directory, "worker-300.traces.jsonl"), string.Join('\n',
            Line(Trace, "d000000000000001", "a000000000000003", "trainer.v1.Worker/RunStep", "worker-1", 2_100, 20_000),
            Line(Trace, "d000000000000002", "ffffffffffffffff", "ring.send", "worker-1", 19_000, 1_000),
            ""));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Run_StepInFiles_PrintsSpansIndentedByParentWithProcess()
    {
        var (code, output, _) = Run(new TraceArguments("j-1", 7, _directory));

        Assert.Equal(ExitCodes.Ok, code);
        string[] spanLines = [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(2).Select(l => l.TrimEnd())];
        Assert.Equal(
        [
            "     0.000       40.000  coordinator  train.step",
            "     1.000       20.000  coordinator    trainer.v1.Worker/RunStep",
            "     2.000       18.000  worker-0         trainer.v1.Worker/RunStep",
            "     2.500       15.000  worker-0           worker.compute",
            "     1.100       22.000  coordinator    trainer.v1.Worker/RunStep",
            "     2.100       20.000  worker-1         trainer.v1.Worker/RunStep",
            "    19.000        1.000  worker-1       ring.send (parent not recorded)",
            "    30.000        0.500  coordinator    coordinator.clip",
        ], spanLines);
    }

    [Fact]
    public void Run_StepInFiles_HeaderCountsSpansAndProcesses()
    {
        var (_, output, _) = Run(new TraceArguments("j-1", 7, _directory));

        Assert.StartsWith($"trace {Trace}: 8 spans in 3 process(es), 40.000 ms", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_Json_ListsSpansDepthFirstWithDepthAndOffset()
    {
        var (code, output, _) = Run(new TraceArguments("j-1", 7, _directory, Json: true));

        using JsonDocument document = JsonDocument.Parse(output);
        JsonElement compute = document.RootElement.GetProperty("spans")[3];
        Assert.Equal((ExitCodes.Ok, "worker.compute", "worker-0", 3, 2.5), (code, compute.GetProperty("name").GetString(),
            compute.GetProperty("service").GetString(), compute.GetProperty("depth").GetInt32(), compute.GetProperty("offset_ms").GetDouble()));
    }

    [Fact]
    public void Run_UnknownStep_ExitsInvalidInputNamingStepsFound()
    {
        var (code, _, error) = Run(new TraceArguments("j-1", 9, _directory));

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("no trace of job j-1 step 9 in 3 span file(s)", error, StringComparison.Ordinal);
        Assert.Contains("steps of job j-1 found: 7-8", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_MissingDirectory_ExitsInvalidInputNamingDirectory()
    {
        string missing = Path.Combine(_directory, "nope");

        var (code, _, error) = Run(new TraceArguments("j-1", 7, missing));

        Assert.Equal((ExitCodes.InvalidInput, true), (code, error.Contains($"no telemetry directory {missing}", StringComparison.Ordinal)));
    }

    [Fact]
    public void Run_MalformedLine_ExitsInvalidInputNamingFileAndLine()
    {
        string path = Path.Combine(_directory, "worker-400.traces.jsonl");
        File.WriteAllText(path, "{\"traceId\": 3}\n");

        var (code, _, error) = Run(new TraceArguments("j-1", 7, _directory));

        Assert.Equal((ExitCodes.InvalidInput, true), (code, error.Contains($"{path}:1: Invalid span line: field 'traceId'", StringComparison.Ordinal)));
    }

    [Fact]
    public void Run_JobIdWithSlash_ExitsInvalidInput()
    {
        var (code, _, error) = Run(new TraceArguments("../j-1", 7));

        Assert.Equal((ExitCodes.InvalidInput, true), (code, error.Contains("invalid JOB '../j-1'", StringComparison.Ordinal)));
    }

    private static (int Code, string Output, string Error) Run(TraceArguments arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = TraceCommand.Run(arguments, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string Line(string trace, string span, string? parent, string name, string service, long offsetMicros, long durationMicros,
        string attributes = "{}") =>
        $$"""{"traceId":"{{trace}}","spanId":"{{span}}","parentSpanId":{{(parent is null ? "null" : $"\"{parent}\"")}},"name":"{{name}}","kind":"Internal","service":"{{service}}","startUnixNano":{{Start + offsetMicros * 1000}},"durationNano":{{durationMicros * 1000}},"status":"Unset","attributes":{{attributes}},"events":[]}""";
}
