using DistributedTrainer.Jobs;
using DistributedTrainer.Protos.V1;
using Xunit;

namespace DistributedTrainer.Tests.Jobs;

public class JobSpecLoaderTests
{
    [Fact]
    public void Parse_UnknownTopLevelField_NamesItAndSuggests()
    {
        var error = ParseError("batchsize: 128\n", SpecFormat.Yaml);

        Assert.Equal("batchsize: unknown field (did you mean \"batchSize\"?)", error.ToString());
    }

    [Fact]
    public void Parse_UnknownFieldInList_NamesFullPath()
    {
        const string yaml = """
            model:
              layers:
                - dense: { units: 8 }
                - dense: { unit: 4 }
            """;

        var error = ParseError(yaml, SpecFormat.Yaml);

        Assert.Equal("model.layers[1].dense.unit: unknown field (did you mean \"units\"?)", error.ToString());
    }

    [Fact]
    public void Parse_UnknownFieldInJson_NamesFullPath()
    {
        const string json = """{ "optimizer": { "kind": "ADAM", "lerningRate": 0.1 } }""";

        var error = ParseError(json, SpecFormat.Json);

        Assert.Equal("optimizer.lerningRate: unknown field (did you mean \"learningRate\"?)", error.ToString());
    }

    [Fact]
    public void Parse_UnknownFieldFarFromAny_ListsTheFields()
    {
        var error = ParseError("clipping: { zzz: 1 }\n", SpecFormat.Yaml);

        Assert.Equal("clipping.zzz: unknown field (ClippingSpec has max_global_norm, clip_value)", error.ToString());
    }

    [Fact]
    public void Parse_SeveralUnknownFields_ReportsEach()
    {
        var exception = Assert.Throws<JobSpecException>(() => JobSpecLoader.Parse("foo: 1\nbar: 2\n", SpecFormat.Yaml));

        Assert.Equal(["foo", "bar"], exception.Errors.Select(e => e.FieldPath));
    }

    [Fact]
    public void Parse_SnakeAndCamelCaseNames_GiveSameSpec()
    {
        var snake = JobSpecLoader.Parse("batch_size: 32\nearly_stopping: { min_delta: 0.5 }\n", SpecFormat.Yaml);

        var camel = JobSpecLoader.Parse("batchSize: 32\nearlyStopping: { minDelta: 0.5 }\n", SpecFormat.Yaml);

        Assert.Equal(snake, camel);
    }

    [Fact]
    public void Parse_FieldSetUnderBothNames_Reports()
    {
        var error = ParseError("batch_size: 32\nbatchSize: 64\n", SpecFormat.Yaml);

        Assert.Equal("batch_size: set twice (as \"batch_size\" and \"batchSize\")", error.ToString());
    }

    [Fact]
    public void Parse_LayerWithTwoKinds_ReportsOneofConflict()
    {
        var error = ParseError("model: { layers: [ { dense: { units: 3 }, dropout: { rate: 0.1 } } ] }\n", SpecFormat.Yaml);

        Assert.Equal("model.layers[0]", error.FieldPath);
        Assert.Contains("sets both dense and dropout", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("batch_size: abc\n", "batch_size", "expected an integer, got \"abc\"")]
    [InlineData("batch_size: 1.5\n", "batch_size", "expected an integer, got 1.5")]
    [InlineData("batch_size: 3000000000\n", "batch_size", "3000000000 is out of range for int32")]
    [InlineData("name: 42\n", "name", "expected a string, got 42")]
    [InlineData("dataset: { has_header: \"true\" }\n", "dataset.has_header", "expected true or false, got \"true\"")]
    [InlineData("model: { layers: { dense: {} } }\n", "model.layers", "expected a list, got an object")]
    [InlineData("loss: SOFTMAX_CROSS_ENTROPY\n", "loss", "expected an object (LossSpec), got \"SOFTMAX_CROSS_ENTROPY\"")]
    [InlineData("loss: { kind: softmax_cross_entropy }\n", "loss.kind", "unknown value \"softmax_cross_entropy\" (did you mean \"SOFTMAX_CROSS_ENTROPY\"?)")]
    [InlineData("seed: 18446744073709551615\n", "seed", "18446744073709551615 is too large to be exact as a JSON number; write it as a string (\"18446744073709551615\")")]
    [InlineData("transfer: { freeze: [fc1, ~] }\n", "transfer.freeze[1]", "list items cannot be null")]
    public void Parse_ValueOfWrongType_ReportsPathAndType(string yaml, string path, string reason)
    {
        var error = ParseError(yaml, SpecFormat.Yaml);

        Assert.Equal($"{path}: {reason}", error.ToString());
    }

    [Fact]
    public void Parse_YamlQuotedNumberForString_StaysString()
    {
        var spec = JobSpecLoader.Parse("name: \"123\"\n", SpecFormat.Yaml);

        Assert.Equal("123", spec.Name);
    }

    [Fact]
    public void Parse_YamlQuotedBooleanForString_StaysString()
    {
        var spec = JobSpecLoader.Parse("name: 'true'\n", SpecFormat.Yaml);

        Assert.Equal("true", spec.Name);
    }

    [Fact]
    public void Parse_YamlYesForString_StaysStringAsInYaml12()
    {
        var spec = JobSpecLoader.Parse("name: yes\n", SpecFormat.Yaml);

        Assert.Equal("yes", spec.Name);
    }

    [Fact]
    public void Parse_YamlPlainBoolean_IsBoolean()
    {
        var spec = JobSpecLoader.Parse("dataset: { has_header: True }\n", SpecFormat.Yaml);

        Assert.True(spec.Dataset.HasHeader);
    }

    [Fact]
    public void Parse_YamlQuotedNumberForInteger_IsNumber()
    {
        var spec = JobSpecLoader.Parse("batch_size: \"128\"\n", SpecFormat.Yaml);

        Assert.Equal(128, spec.BatchSize);
    }

    [Fact]
    public void Parse_YamlEnumName_IsEnumValue()
    {
        var spec = JobSpecLoader.Parse("optimizer: { kind: ADAMW }\n", SpecFormat.Yaml);

        Assert.Equal(OptimizerSpec.Types.Kind.Adamw, spec.Optimizer.Kind);
    }

    [Fact]
    public void Parse_YamlFloatForms_AreNumbers()
    {
        var spec = JobSpecLoader.Parse("optimizer: { learning_rate: 1e-3, epsilon: .5, momentum: 2. }\n", SpecFormat.Yaml);

        Assert.Equal((0.001f, 0.5f, 2f), (spec.Optimizer.LearningRate, spec.Optimizer.Epsilon, spec.Optimizer.Momentum));
    }

    [Fact]
    public void Parse_YamlInfinityAndNaN_AreFloats()
    {
        var spec = JobSpecLoader.Parse("regularization: { l1: .inf, l2: .nan }\nclipping: { clip_value: -.Inf }\n", SpecFormat.Yaml);

        Assert.Equal((float.PositiveInfinity, float.NaN, float.NegativeInfinity), (spec.Regularization.L1, spec.Regularization.L2, spec.Clipping.ClipValue));
    }

    [Fact]
    public void Parse_YamlHexAndOctal_AreIntegers()
    {
        var spec = JobSpecLoader.Parse("batch_size: 0x40\nepochs: 0o17\n", SpecFormat.Yaml);

        Assert.Equal((64, 15), (spec.BatchSize, spec.Epochs));
    }

    [Fact]
    public void Parse_YamlNull_LeavesFieldUnset()
    {
        var spec = JobSpecLoader.Parse("name: ~\noptimizer: null\n", SpecFormat.Yaml);

        Assert.Equal(new JobSpec(), spec);
    }

    [Fact]
    public void Parse_YamlStrTag_StaysString()
    {
        var spec = JobSpecLoader.Parse("name: !!str 2024\n", SpecFormat.Yaml);

        Assert.Equal("2024", spec.Name);
    }

    [Fact]
    public void Parse_LargeSeedAsString_IsExact()
    {
        var spec = JobSpecLoader.Parse("seed: \"18446744073709551615\"\n", SpecFormat.Yaml);

        Assert.Equal(ulong.MaxValue, spec.Seed);
    }

    [Fact]
    public void Parse_MalformedYaml_ReportsLineAndColumn()
    {
        const string yaml = "epochs: 3\nmodel:\n  layers:\n    - dense: { units: 4\nbatch_size: 2\n";

        var error = ParseError(yaml, SpecFormat.Yaml);

        Assert.StartsWith("line 5, column ", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MalformedJson_ReportsLineAndColumn()
    {
        const string json = "{\n  \"epochs\": 3,\n  \"batch_size\": 2,\n}";

        var error = ParseError(json, SpecFormat.Json);

        Assert.StartsWith("line 4, column 1: ", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TwoYamlDocuments_Reports()
    {
        var error = ParseError("epochs: 3\n---\nepochs: 4\n", SpecFormat.Yaml);

        Assert.Contains("one YAML document", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmptyYaml_Reports()
    {
        var error = ParseError("# nothing here\n", SpecFormat.Yaml);

        Assert.Equal("the spec is empty", error.Reason);
    }

    [Fact]
    public void LoadFile_RelativeDatasetPaths_ResolveAgainstSpecDirectory()
    {
        using var directory = new TemporaryDirectory();
        var path = directory.Write("job.yaml", "dataset: { train_path: data/train.gz, test_path: /abs/test.gz }\n");

        var spec = JobSpecLoader.LoadFile(path);

        Assert.Equal(
            (Path.Combine(directory.Path, "data", "train.gz"), "/abs/test.gz"),
            (spec.Dataset.TrainPath, spec.Dataset.TestPath));
    }

    [Fact]
    public void LoadFile_NoName_TakesFileName()
    {
        using var directory = new TemporaryDirectory();
        var path = directory.Write("my-job.yml", "epochs: 1\n");

        var spec = JobSpecLoader.LoadFile(path);

        Assert.Equal("my-job", spec.Name);
    }

    [Fact]
    public void LoadFile_InvalidSpec_NamesTheFile()
    {
        using var directory = new TemporaryDirectory();
        var path = directory.Write("bad.json", """{ "epoch": 1 }""");

        var exception = Assert.Throws<JobSpecException>(() => JobSpecLoader.LoadFile(path));

        Assert.Equal($"Invalid job spec {path}: epoch: unknown field (did you mean \"epochs\"?)", exception.Message);
    }

    [Fact]
    public void LoadFile_UnknownExtension_Throws()
    {
        using var directory = new TemporaryDirectory();
        var path = directory.Write("job.toml", "epochs = 1\n");

        Assert.Throws<ArgumentException>(() => JobSpecLoader.LoadFile(path));
    }

    private static ValidationError ParseError(string text, SpecFormat format) =>
        Assert.Single(Assert.Throws<JobSpecException>(() => JobSpecLoader.Parse(text, format)).Errors);

    private sealed class TemporaryDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("jobspec-").FullName;

        public string Write(string name, string text)
        {
            var file = System.IO.Path.Combine(Path, name);
            File.WriteAllText(file, text);
            return file;
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
