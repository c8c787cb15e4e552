using System.Text.RegularExpressions;
using DistributedTrainer.Coordinator.Services;
using DistributedTrainer.Protos.V1;
using FsCheck;
using FsCheck.Fluent;
using Grpc.Core;
using Grpc.Health.V1;
using Xunit;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>
/// Ten thousand generated and mutated job specs through the Jobs API of a running coordinator: it stays up, refuses
/// each bad one with INVALID_ARGUMENT, PERMISSION_DENIED or RESOURCE_EXHAUSTED and a field path on every line, and
/// writes nothing outside its state directory. Specs naming files outside the data roots (directly, through a link
/// or "..") are refused PERMISSION_DENIED naming the field, never quote the files, and none of those files is read
/// (their access times stay where the test set them).
/// </summary>
public sealed partial class JobsAbuseTests : IAsyncLifetime
{
    private const int Specs = 10_000;
    private const int Parallel = 8;
    private readonly string _outside = Directory.CreateTempSubdirectory("dt-abuse-outside-").FullName;
    private TestCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await TestCoordinator.StartAsync(options => options with
    {
        Limits = new CallerLimits { MaxQueuedJobs = 16, MaxWatches = 4, MaxSpecBytes = 256 * 1024 },
    });

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        Directory.Delete(_outside, recursive: true);
    }

    [Fact]
    public async Task SubmitJob_TenThousandMutatedSpecs_EveryRefusalHasAnExpectedCodeAndFieldPathAndNothingIsWrittenOutsideTheState()
    {
        var baseline = TestJobs.Spec(_coordinator.Directory, epochs: 1);
        baseline.MinWorkers = 1;
        WriteOutsideFiles();
        var before = Snapshot();
        var specs = Gen.Sample(Mutated(baseline), Specs, new Rnd(18), 20);

        var outcomes = new System.Collections.Concurrent.ConcurrentBag<string>();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await System.Threading.Tasks.Parallel.ForEachAsync(specs, new ParallelOptions { MaxDegreeOfParallelism = Parallel }, async (spec, _) =>
        {
            try
            {
                string jobId = await _coordinator.SubmitAsync(spec);
                outcomes.Add("OK");
                await _coordinator.Jobs.CancelJobAsync(new CancelJobRequest { JobId = jobId }, _coordinator.Call());
            }
            catch (RpcException refused)
            {
                outcomes.Add(refused.StatusCode.ToString());
                if (Unexpected(refused) is { } why)
                {
                    failures.Add($"{why}: {refused.StatusCode} '{refused.Status.Detail}' for {spec}");
                }
            }
        });

        var health = await new Health.HealthClient(_coordinator.Channel)
            .CheckAsync(new HealthCheckRequest { Service = "trainer.v1.Jobs" }, deadline: DateTime.UtcNow.AddSeconds(10));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.Empty(failures.Take(20));
        Assert.Equal(Specs, outcomes.Count);
        // Each kind of answer came up: the generator reaches the checks it means to.
        Assert.Superset(new HashSet<string> { "OK", "InvalidArgument", "PermissionDenied", "ResourceExhausted" }, outcomes.ToHashSet());
        Assert.Equal(before, Snapshot());
    }

    [AccessTimesFact]
    public async Task SubmitJob_TwoThousandSpecsNamingFilesOutsideTheDataRoots_NoneOfThemIsRead()
    {
        var baseline = TestJobs.Spec(_coordinator.Directory, epochs: 1);
        baseline.MinWorkers = 1;
        WriteOutsideFiles();
        AccessTimesFactAttribute.Age(_outside);
        var specs = Gen.Sample(Gen.ListOf(PathMutation(baseline), 1).Select(actions => Apply(baseline, actions)), 2_000, new Rnd(19), 20);

        await System.Threading.Tasks.Parallel.ForEachAsync(specs, new ParallelOptions { MaxDegreeOfParallelism = Parallel }, async (spec, _) =>
        {
            try
            {
                string jobId = await _coordinator.SubmitAsync(spec);
                await _coordinator.Jobs.CancelJobAsync(new CancelJobRequest { JobId = jobId }, _coordinator.Call());
            }
            catch (RpcException)
            {
                // The refusals are checked by the test above; here only what was read counts.
            }
        });

        Assert.Empty(AccessTimesFactAttribute.Read(_outside));
    }

    [Theory]
    [InlineData("dataset.train_path")]
    [InlineData("dataset.test_path")]
    [InlineData("dataset.train_labels_path")]
    [InlineData("transfer.from_checkpoint")]
    public async Task SubmitJob_FieldNamingAFileOutsideTheDataRoots_PermissionDeniedNamingTheFieldWithoutItsContent(string field)
    {
        var spec = TestJobs.Spec(_coordinator.Directory, epochs: 1);
        WriteOutsideFiles();
        string secret = Path.Combine(_outside, "secret.csv");
        Action<JobSpec> set = field switch
        {
            "dataset.train_path" => s => s.Dataset.TrainPath = secret,
            "dataset.test_path" => s => s.Dataset.TestPath = secret,
            "dataset.train_labels_path" => s => s.Dataset.TrainLabelsPath = secret,
            _ => s => s.Transfer = new TransferSpec { FromCheckpoint = _outside },
        };
        set(spec);

        var refused = await Assert.ThrowsAsync<RpcException>(() => _coordinator.SubmitAsync(spec));

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.StartsWith($"{field}: ", refused.Status.Detail);
        Assert.DoesNotContain("ghp_", refused.Status.Detail);
    }

    /// <summary>A secret CSV file and a checkpoint-like directory outside the data roots, and a link to the secret inside them.</summary>
    private void WriteOutsideFiles()
    {
        File.WriteAllText(Path.Combine(_outside, "secret.csv"), "ghp_abuse,1\n");
        string checkpoint = Directory.CreateDirectory(Path.Combine(_outside, "step-000000001")).FullName;
        File.WriteAllText(Path.Combine(checkpoint, "manifest.json"), "{\"token\":\"ghp_manifest\"}");
        File.CreateSymbolicLink(Path.Combine(_coordinator.Directory, "link.csv"), Path.Combine(_outside, "secret.csv"));
    }

    /// <summary>Why the refusal is not one a caller should get; null when it is.</summary>
    private static string? Unexpected(RpcException refused)
    {
        if (refused.StatusCode is not (StatusCode.InvalidArgument or StatusCode.PermissionDenied or StatusCode.ResourceExhausted))
        {
            return "unexpected status";
        }
        if (refused.Status.Detail.Split('\n').FirstOrDefault(line => !FieldLine().IsMatch(line)) is { } line)
        {
            return $"line without a field path: '{line}'";
        }
        return refused.Status.Detail.Contains("ghp_", StringComparison.Ordinal) ? "file content quoted" : null;
    }

    // "dataset.train_path: ...", "model.layers[3].dense.units: ...", "max_queued_jobs: ...".
    [GeneratedRegex(@"^[a-z_]+(\[\d+\])?(\.[a-z_]+(\[\d+\])?)*: ")]
    private static partial Regex FieldLine();

    /// <summary>Every file outside the state directory, with its size and write time.</summary>
    private SortedDictionary<string, (long, DateTime)> Snapshot()
    {
        string state = Path.Combine(_coordinator.Directory, "state") + Path.DirectorySeparatorChar;
        var files = new SortedDictionary<string, (long, DateTime)>(StringComparer.Ordinal);
        foreach (var root in new[] { _coordinator.Directory, _outside })
        {
            foreach (var file in new DirectoryInfo(root).EnumerateFiles("*", SearchOption.AllDirectories))
            {
                if (!file.FullName.StartsWith(state, StringComparison.Ordinal))
                {
                    files[file.FullName] = (file.LinkTarget is null ? file.Length : -1, file.LastWriteTimeUtc);
                }
            }
        }
        return files;
    }

    /// <summary>The baseline with one to three mutations, each a field set to a hostile or invalid value.</summary>
    private Gen<JobSpec> Mutated(JobSpec baseline)
    {
        string directory = _coordinator.Directory;
        string[] paths =
        [
            "/etc/passwd", "/proc/self/environ", "../../../../etc/shadow", Path.Combine(directory, "..", Path.GetFileName(_outside), "secret.csv"),
            Path.Combine(_outside, "secret.csv"), Path.Combine(directory, "link.csv"), Path.Combine(directory, "missing.csv"), directory, "",
            "relative.csv", "bad\0name.csv", new string('a', 5000), Path.Combine(directory, new string('b', 300)), baseline.Dataset.TrainPath,
            baseline.Dataset.TestPath, Path.Combine(directory, "state", "jobs"),
        ];
        float[] floats = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -1f, 0f, 1f, 2f, 1e30f, -0f, 0.5f];
        int[] ints = [int.MinValue, -1, 0, 1, 2, 3, 1000, 1 << 20, int.MaxValue];
        var mutation = Gen.OneOf<Action<JobSpec>>(
            Gen.Elements(paths).Select<string, Action<JobSpec>>(p => s => Dataset(s).TrainPath = p),
            Gen.Elements(paths).Select<string, Action<JobSpec>>(p => s => Dataset(s).TestPath = p),
            Gen.Elements(paths).Select<string, Action<JobSpec>>(p => s => Dataset(s).TrainLabelsPath = p),
            Gen.Elements(paths).Select<string, Action<JobSpec>>(p => s => s.Transfer = new TransferSpec { FromCheckpoint = p }),
            Gen.Elements(ints).Select<int, Action<JobSpec>>(v => s => s.Epochs = v),
            Gen.Elements(ints).Select<int, Action<JobSpec>>(v => s => s.BatchSize = v),
            Gen.Elements(ints).Select<int, Action<JobSpec>>(v => s => s.MinWorkers = v),
            Gen.Elements(ints).Select<int, Action<JobSpec>>(v => s => s.MaxWorkers = v),
            Gen.Elements(ints).Select<int, Action<JobSpec>>(v => s => Dataset(s).LabelColumn = v),
            Gen.Elements(ints).Select<int, Action<JobSpec>>(v => s => Dataset(s).NumClasses = v),
            Gen.Elements(ints).Select<int, Action<JobSpec>>(v => s => Dataset(s).Format = (DatasetSpec.Types.Format)v),
            Gen.Elements(ints).Select<int, Action<JobSpec>>(v => s => Dataset(s).Normalization = (DatasetSpec.Types.Normalization)v),
            Gen.Elements(ints).Select<int, Action<JobSpec>>(v => s => s.Checkpoint = new CheckpointSpec { EverySteps = v, Keep = v }),
            Gen.Elements(ints).Select<int, Action<JobSpec>>(v => s =>
            {
                foreach (var layer in Layers(s).Where(layer => layer.Dense is not null).Take(1))
                {
                    layer.Dense.Units = v;
                }
            }),
            Gen.Elements(floats).Select<float, Action<JobSpec>>(v => s => Dataset(s).ValidationFraction = v),
            Gen.Elements(floats).Select<float, Action<JobSpec>>(v => s => (s.Optimizer ??= new OptimizerSpec()).LearningRate = v),
            Gen.Elements(ints).Select<int, Action<JobSpec>>(v => s => Layers(s).Add(Enumerable.Range(0, Math.Clamp(v, 0, 2000)).Select(_ => new LayerSpec()))),
            Gen.Constant<Action<JobSpec>>(s => Layers(s).Clear()),
            Gen.Constant<Action<JobSpec>>(s => s.Dataset = null),
            Gen.Constant<Action<JobSpec>>(s => s.Model = null),
            Gen.Constant<Action<JobSpec>>(s => s.Name = "../../" + new string('n', 300_000)),
            Gen.Constant<Action<JobSpec>>(s => Dataset(s).HasHeader = !Dataset(s).HasHeader),
            Gen.Constant<Action<JobSpec>>(_ => { }));
        return Gen.Choose(1, 3).SelectMany(count => Gen.ListOf(mutation, count)).Select(actions => Apply(baseline, actions));
    }

    /// <summary>One of the spec's path fields set to a path outside the data roots (directly, through a link or "..").</summary>
    private Gen<Action<JobSpec>> PathMutation(JobSpec baseline)
    {
        string[] paths =
        [
            Path.Combine(_outside, "secret.csv"), Path.Combine(_coordinator.Directory, "link.csv"),
            Path.Combine(_coordinator.Directory, "..", Path.GetFileName(_outside), "secret.csv"), Path.Combine(_outside, "step-000000001"),
            Path.Combine(_outside, "step-000000001", "manifest.json"), _outside, baseline.Dataset.TrainPath,
        ];
        return Gen.OneOf(
            Gen.Elements(paths).Select<string, Action<JobSpec>>(p => s => s.Dataset.TrainPath = p),
            Gen.Elements(paths).Select<string, Action<JobSpec>>(p => s => s.Dataset.TestPath = p),
            Gen.Elements(paths).Select<string, Action<JobSpec>>(p => s => s.Dataset.TrainLabelsPath = p),
            Gen.Elements(paths).Select<string, Action<JobSpec>>(p => s => s.Transfer = new TransferSpec { FromCheckpoint = p }));
    }

    private static JobSpec Apply(JobSpec baseline, IEnumerable<Action<JobSpec>> actions)
    {
        var spec = baseline.Clone();
        foreach (var action in actions)
        {
            action(spec);
        }
        return spec;
    }

    // A mutation may have removed the message another one sets a field of.
    private static DatasetSpec Dataset(JobSpec spec) => spec.Dataset ??= new DatasetSpec();

    private static Google.Protobuf.Collections.RepeatedField<LayerSpec> Layers(JobSpec spec) => (spec.Model ??= new ModelSpec()).Layers;
}
