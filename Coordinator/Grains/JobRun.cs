using System.Globalization;
using DistributedTrainer.Checkpoints;
using DistributedTrainer.Coordinator.Cluster;
using DistributedTrainer.Coordinator.Jobs;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Reports;
using DistributedTrainer.Reports.TensorBoard;
using DistributedTrainer.Training;
using DistributedTrainer.Training.Adversarial;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// The run of one job, driven by its grain off the grain's scheduler: waits for the <see cref="JobQueue"/> to place
/// it, starts it, resumes from the newest readable checkpoint (damaged ones are skipped and reported), trains it with
/// <see cref="Trainer"/> (which splits every mini-batch over the gradient backend, in process or on the leased
/// workers, and applies the central update; a GAN job with <see cref="AdversarialTrainer"/> the same way), and ends
/// it: SUCCEEDED, FAILED naming what failed, or CANCELLED at a step boundary. When the coordinator stops the run stops
/// at a step boundary with a checkpoint and the job stays as it is, to resume at the next start.
/// </summary>
internal sealed class JobRun(string jobId, JobSpec spec, JobRunReports reports, JobRunServices services, CancellationToken stop)
{
    /// <summary>Runs the job to its end, or until the coordinator stops; never throws.</summary>
    public async Task RunAsync()
    {
        try
        {
            await PlaceAndTrainAsync();
        }
        finally
        {
            // A run that ended before it trained (cancelled while queued) never took the data the Jobs service loaded.
            services.Inputs.Forget(jobId);
        }
    }

    private async Task PlaceAndTrainAsync()
    {
        JobPlacement placement;
        try
        {
            placement = await services.Queue.Enqueue(jobId, spec, reports.Waiting, stop);
        }
        catch (OperationCanceledException) when (services.Shutdown.IsStopping)
        {
            return;
        }
        catch (OperationCanceledException)
        {
            // Cancelled while queued. A job recovered as RUNNING after a restart reaches its end state only here.
            await Report(() => reports.Finished(JobState.Cancelled, "Cancelled before it started.", null, null));
            return;
        }
        catch (Exception failure) when (failure is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // The grain could not persist its state while it waited (the queue logged it).
            return;
        }
        using (placement)
        {
            try
            {
                if (await reports.Started(placement.Workers, placement.Description) is { } started)
                {
                    if (placement.Lease is { } lease)
                    {
                        string workers = string.Join(", ", lease.Workers.Select(worker => $"{worker.Id} ({worker.Address})"));
                        CoordinatorLog.JobPlaced(services.Logger, jobId, workers);
                    }
                    await TrainAsync(started, placement.Lease);
                }
            }
            catch (Exception failure) when (failure is IOException or UnauthorizedAccessException or InvalidDataException or ObjectDisposedException)
            {
                // The grain could not persist its state, or is gone; the queue goes on with the next job.
                CoordinatorLog.JobFailed(services.Logger, jobId, failure);
            }
        }
    }

    /// <summary>
    /// Trains <paramref name="started"/> to its end state. A worker that fails is dropped by the cluster backend, which
    /// re-runs the step on the others (waiting for workers when fewer than min_workers are left); a
    /// <see cref="WorkerFailedException"/> that still reaches here (no worker left to re-run on) ends the job FAILED
    /// naming the worker, its rank and the step.
    /// </summary>
    private async Task TrainAsync(JobSpec started, WorkerLease? lease)
    {
        string jobDirectory = services.Paths.JobDirectory(jobId);
        string checkpoints = services.Paths.CheckpointDirectory(jobId);
        CoordinatorLog.JobStarted(services.Logger, jobId);
        try
        {
            var loaded = services.Inputs.Take(jobId) ?? await Task.Run(() => JobInput.FromSpec(started), stop);
            string? resumeFrom = await ResumePointAsync(checkpoints);
            if (loaded.Spec.Adversarial is not null)
            {
                var result = await TrainAdversarialAsync(loaded, lease, jobDirectory, checkpoints, resumeFrom);
                await reports.Finished(JobState.Succeeded, string.Create(CultureInfo.InvariantCulture,
                    $"Discriminator loss {result.DiscriminatorLoss:F4}, generator loss {result.GeneratorLoss:F4} after {result.Epochs} epochs."),
                    JobMetrics.FromSummary(result), result.Checkpoint is null ? null : Path.GetFileName(result.Checkpoint));
                return;
            }
            Func<Model, IGradientBackend>? backend = lease is null
                ? null
                : model => services.ClusterBackends(jobId, loaded.Spec, loaded.Data, model,
                    new LeasedWorkerPool(services.Registry, lease, loaded.Spec, reports), message => _ = reports.Event(message));
            // A local run computes on this thread for hours: a dedicated thread, not one of the pool's.
            var summary = await Task.Factory.StartNew(async () =>
            {
                using var trainer = backend is null
                    ? Trainer.Create(loaded.Spec, loaded.Data, checkpoints, resumeFrom)
                    : Trainer.Create(loaded.Spec, loaded.Data, backend, checkpoints, resumeFrom);
                trainer.JobId = jobId;
                using var tensorBoard = new TensorBoardObserver(Path.Combine(jobDirectory, RunOutputs.TensorBoardDirectory), trainer.Model.Store);
                return await trainer.RunAsync(new JobRunObserver(reports, jobDirectory, checkpoints, started.Name, tensorBoard), cancellation: stop);
            }, stop, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
            string? checkpoint = summary.Checkpoint is null ? null : Path.GetFileName(summary.Checkpoint);
            await reports.Finished(JobState.Succeeded,
                $"Test accuracy {summary.TestAccuracy:P2} after {summary.Epochs} epochs.", JobMetrics.FromSummary(summary), checkpoint);
        }
        catch (Exception) when (services.Shutdown.IsStopping)
        {
            // Whatever the stop cut short (a cancelled wait, or a worker call that failed as its stream was cut), the
            // job stays RUNNING and resumes from its checkpoint at the next start.
            CoordinatorLog.JobInterrupted(services.Logger, jobId);
        }
        catch (Exception failure) when (failure is OperationCanceledException || stop.IsCancellationRequested)
        {
            // A cancel can end the step as a cancellation or as a worker call it cut: either way the job was cancelled.
            await reports.Finished(JobState.Cancelled, "Cancelled; the last checkpoint holds the state at the stop.", null,
                JobRunObserver.NewestCheckpoint(checkpoints));
        }
        catch (JobInputException invalid)
        {
            await reports.Finished(JobState.Failed, invalid.Message, null, null);
        }
        catch (WorkerFailedException lost)
        {
            CoordinatorLog.JobLostWorker(services.Logger, jobId, lost.WorkerId, lost.Step, lost);
            await reports.Finished(JobState.Failed, lost.Message, null, JobRunObserver.NewestCheckpoint(checkpoints));
        }
        catch (Exception failure)
        {
            // Whatever went wrong belongs to this job; the queue goes on with the next one.
            CoordinatorLog.JobFailed(services.Logger, jobId, failure);
            await reports.Finished(JobState.Failed, failure.Message, null, JobRunObserver.NewestCheckpoint(checkpoints));
        }
    }

    /// <summary>
    /// Trains a GAN job with <see cref="AdversarialTrainer"/>, in this process or on the leased workers, writing the
    /// outputs of <c>trainctl train</c> (metrics.csv, the sample grids, TensorBoard) into the job directory.
    /// </summary>
    private Task<AdversarialSummary> TrainAdversarialAsync(JobInput loaded, WorkerLease? lease, string jobDirectory, string checkpoints,
        string? resumeFrom)
    {
        Func<Model, Model, IAdversarialBackend>? backend = lease is null
            ? null
            : (generator, discriminator) => services.AdversarialBackends(jobId, loaded.Spec, loaded.Data, generator, discriminator,
                new LeasedWorkerPool(services.Registry, lease, loaded.Spec, reports), message => _ = reports.Event(message));
        // As for other jobs: a local run computes on this thread for hours, a dedicated thread.
        return Task.Factory.StartNew(async () =>
        {
            using var trainer = backend is null
                ? AdversarialTrainer.Create(loaded.Spec, loaded.Data, checkpoints, resumeFrom)
                : AdversarialTrainer.Create(loaded.Spec, loaded.Data, backend, checkpoints, resumeFrom);
            trainer.JobId = jobId;
            using var outputs = new AdversarialOutputs(jobDirectory, new AdversarialJobRunObserver(reports, checkpoints));
            return await trainer.RunAsync(outputs, cancellation: stop);
        }, stop, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>The newest readable checkpoint of the job, or null; damaged ones are skipped and reported as events.</summary>
    private async Task<string?> ResumePointAsync(string checkpoints)
    {
        if (!Directory.Exists(checkpoints))
        {
            return null;
        }
        var latest = new CheckpointStore(checkpoints).LoadLatest();
        foreach (var skipped in latest.Skipped)
        {
            await reports.Event($"Checkpoint {Path.GetFileName(skipped.Directory)} is damaged and was skipped: {skipped.Reason}");
        }
        if (latest.Directory is { } directory)
        {
            string checkpointName = Path.GetFileName(directory);
            CoordinatorLog.JobResuming(services.Logger, jobId, checkpointName);
            await reports.Event($"Resuming from checkpoint {checkpointName}");
        }
        return latest.Directory;
    }

    private static async Task Report(Func<Task> report)
    {
        try
        {
            await report();
        }
        catch (Exception failure) when (failure is IOException or UnauthorizedAccessException or InvalidDataException or ObjectDisposedException)
        {
            // The job's end could not be persisted; it is found unfinished at the next start and ends there.
        }
    }
}
