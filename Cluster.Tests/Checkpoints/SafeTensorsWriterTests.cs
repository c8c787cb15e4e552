using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json;
using DistributedTrainer.Checkpoints;
using DistributedTrainer.Tests.Data;
using Xunit;
using Xunit.Abstractions;

namespace DistributedTrainer.Tests.Checkpoints;

public sealed class SafeTensorsWriterTests(ITestOutputHelper output)
{
    private const string Python = "/usr/bin/python3";

    // Parses the header with json and the data with torch.frombuffer, as a PyTorch user without the
    // safetensors package would; prints {name: {shape, values}} or NO_TORCH.
    private const string ReadWithTorch = """
        import json, struct, sys
        try:
            import torch
        except ImportError:
            print("NO_TORCH")
            sys.exit(0)
        data = open(sys.argv[1], "rb").read()
        n = struct.unpack("<Q", data[:8])[0]
        header = json.loads(data[8:8 + n])
        base = 8 + n
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            assert info["dtype"] == "F32", info
            begin, end = info["data_offsets"]
            t = torch.frombuffer(bytearray(data[base + begin:base + end]), dtype=torch.float32).reshape(info["shape"])
            out[name] = {"shape": list(t.shape), "values": t.flatten().tolist()}
        print(json.dumps(out))
        """;

    private static readonly NamedTensor[] Tensors =
    [
        new("fc1.weight", [2, 3], [1f, -0f, 3.4e38f, 1e-40f, MathF.PI, -2.5f]),
        new("fc1.bias", [3], [0.1f, 0.2f, 0.3f]),
        new("scalar", [], [42f]),
    ];

    private static byte[] Serialize(IReadOnlyList<NamedTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var stream = new MemoryStream();
        SafeTensorsWriter.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    [Fact]
    public void Write_Any_PadsHeaderToEightBytes()
    {
        var bytes = Serialize(Tensors);

        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes) % 8);
    }

    [Fact]
    public void Write_Any_HeaderDescribesDtypeShapeAndOffsets()
    {
        var bytes = Serialize(Tensors);
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);

        using var header = JsonDocument.Parse(bytes.AsMemory(8, length));

        Assert.Equal("""{"dtype":"F32","shape":[3],"data_offsets":[24,36]}""", header.RootElement.GetProperty("fc1.bias").GetRawText());
    }

    [Fact]
    public void Write_Any_DataFollowsHeaderBackToBack()
    {
        var bytes = Serialize(Tensors);

        Assert.Equal(8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes) + 4 * (6 + 3 + 1), bytes.Length);
    }

    [Fact]
    public void Write_ThenRead_IsBitwiseIdentical()
    {
        var content = SafeTensorsReader.Read(Serialize(Tensors), "memory");

        Assert.Equal(Tensors.Select(Bits), content.Tensors.Select(Bits));
    }

    [Fact]
    public void Write_ThenRead_KeepsMetadata()
    {
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode \"quoted\"" };

        var content = SafeTensorsReader.Read(Serialize(Tensors, metadata), "memory");

        Assert.Equal(metadata, content.Metadata);
    }

    [Fact]
    public void Write_DuplicateName_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => Serialize([Tensors[1], Tensors[1]]));

        Assert.Equal("Duplicate tensor name: 'fc1.bias'", error.Message);
    }

    [Fact]
    public void Write_ShapeDisagreesWithData_ThrowsNamingTensor()
    {
        var error = Assert.Throws<ArgumentException>(() => Serialize([new NamedTensor("w", [2, 2], [1f, 2f, 3f])]));

        Assert.Equal("Tensor 'w' has shape [2, 2] (4 elements) but 3 values", error.Message);
    }

    [Fact]
    public void Write_ReadByPyTorch_GivesSameValues()
    {
        if (!File.Exists(Python))
        {
            output.WriteLine($"{Python} is missing; interop with PyTorch not checked.");
            return;
        }
        using var directory = new TemporaryDirectory();
        string path = directory.File("model.safetensors");
        File.WriteAllBytes(path, Serialize(Tensors, new Dictionary<string, string> { ["format"] = "pt" }));

        string json = RunPython(ReadWithTorch, path);
        if (json == "NO_TORCH")
        {
            output.WriteLine("torch is not installed for /usr/bin/python3; interop with PyTorch not checked.");
            return;
        }

        using var result = JsonDocument.Parse(json);
        var fromTorch = Tensors.Select(tensor => Describe(tensor.Name, result.RootElement.GetProperty(tensor.Name)));
        Assert.Equal(Tensors.Select(tensor => Describe(tensor.Name, tensor.Shape, tensor.Data)), fromTorch);
    }

    private static string Bits(NamedTensor tensor) =>
        $"{tensor.Name} [{string.Join(",", tensor.Shape)}] {string.Join(",", tensor.Data.Select(BitConverter.SingleToInt32Bits))}";

    private static string Describe(string name, int[] shape, IEnumerable<float> values) =>
        $"{name} [{string.Join(",", shape)}] {string.Join(",", values.Select(BitConverter.SingleToInt32Bits))}";

    private static string Describe(string name, JsonElement tensor) => Describe(
        name,
        [.. tensor.GetProperty("shape").EnumerateArray().Select(size => size.GetInt32())],
        tensor.GetProperty("values").EnumerateArray().Select(value => (float)value.GetDouble()));

    private static string RunPython(string script, string argument)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("-");
        start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        process.StandardInput.Write(script);
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"python exited with {process.ExitCode}: {stderr.Result}");
        }
        return stdout.Trim();
    }
}
