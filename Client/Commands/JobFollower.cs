using DistributedTrainer.Client.Output;
using DistributedTrainer.Protos.V1;
using Grpc.Core;
using DistributedTrainer.Training;
using Google.Protobuf;

namespace DistributedTrainer.Client.Commands;

/// <summary>Follows a job's events to its end, showing them with the same progress displays as `trainctl train`.</summary>
internal static class JobFollower
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true));

    /// <summary>Watches <paramref name="jobId"/> until it ends; prints the final job (as JSON with <paramref name="json"/>) and returns the exit code of its state.</summary>
    public static async Task<int> FollowAsync(CoordinatorConnection connection, string jobId, int epochs, bool json, CancellationToken cancellation)
    {
        var job = await WatchToEndAsync(connection, jobId, epochs, json, cancellation);
        if (json)
        {
            Console.Out.WriteLine(Format(job));
        }
        else
        {
            Console.Out.WriteLine($"{job.JobId} {job.State}: {job.Message}");
        }
        return ExitCode(job.State);
    }

    /// <summary>Shows <paramref name="jobId"/>'s progress until it ends (on stderr with <paramref name="json"/>) and returns the final job.</summary>
    public static async Task<Job> WatchToEndAsync(CoordinatorConnection connection, string jobId, int epochs, bool json, CancellationToken cancellation)
    {
        var diagnostics = json ? Console.Error : Console.Out;
        if (!json && !Console.IsOutputRedirected)
        {
            TerminalProgress.Show(epochs, display =>
            {
                WatchAsync(connection, jobId, epochs, display, cancellation).GetAwaiter().GetResult();
                return true;
            });
        }
        else
        {
            await WatchAsync(connection, jobId, epochs, new PlainProgress(diagnostics, epochs), cancellation);
        }
        return await connection.Jobs.GetJobAsync(new GetJobRequest { JobId = jobId }, connection.Call(cancellation));
    }

    public static string Format(IMessage message) => Formatter.Format(message);

    public static int ExitCode(JobState state) => state == JobState.Succeeded ? ExitCodes.Ok : ExitCodes.JobFailed;

    private static async Task WatchAsync(CoordinatorConnection connection, string jobId, int epochs, ITrainingObserver display,
        CancellationToken cancellation)
    {
        using var call = connection.Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, connection.Call(cancellation));
        // The watch begins with the job's snapshot, which tells whether it is a GAN job: its epochs have no accuracy.
        bool adversarial = false;
        await foreach (var jobEvent in call.ResponseStream.ReadAllAsync(cancellation))
        {
            switch (jobEvent.EventCase)
            {
                case JobEvent.EventOneofCase.Snapshot:
                    adversarial = jobEvent.Snapshot.Spec?.Adversarial is not null;
                    break;
                case JobEvent.EventOneofCase.Epoch when adversarial:
                    var epoch = jobEvent.Epoch;
                    display.OnEvent(AdversarialProgress.Line(epoch.Epoch, epochs, epoch.TrainLoss, epoch.GeneratorLoss, epoch.Step,
                        epoch.GeneratorStep, epoch.SamplesPerSecond, epoch.Seconds));
                    break;
                case JobEvent.EventOneofCase.Step:
                    display.OnStep(ToReport(jobEvent.Step));
                    break;
                case JobEvent.EventOneofCase.Epoch:
                    display.OnEpoch(ToReport(jobEvent.Epoch));
                    break;
                case JobEvent.EventOneofCase.Message:
                    display.OnEvent(jobEvent.Message);
                    break;
                default:
                    break;
            }
        }
    }

    private static StepReport ToReport(StepMetrics step) => new(step.Epoch, step.Step, step.SamplesDoneInEpoch, step.SamplesPerEpoch, step.Loss,
        new UpdateResult(!step.Skipped, step.LearningRate, step.GradientNorm, step.ClipScale, 0.0, -1));

    private static EpochReport ToReport(EpochMetrics epoch) => new(epoch.Epoch, epoch.Step, epoch.TrainLoss, epoch.TrainAccuracy,
        epoch.ValidationLoss, epoch.ValidationAccuracy, epoch.TestLoss, epoch.TestAccuracy, epoch.LearningRate, epoch.SamplesPerSecond,
        epoch.Seconds)
    {
        // 0 from a coordinator that predates the field; only a TEXT job has a bits-per-character figure.
        TestBitsPerCharacter = epoch.TestBitsPerCharacter > 0 ? epoch.TestBitsPerCharacter : double.NaN,
    };
}
