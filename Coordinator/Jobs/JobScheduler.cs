using System.Collections.Concurrent;
using System.Threading.Channels;
using DistributedTrainer.Reports;
using DistributedTrainer.Checkpoints;
using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Reports.TensorBoard;
using DistributedTrainer.Training;
using Microsoft.Extensions.Logging;

namespace DistributedTrainer.Coordinator.Jobs;

/// <summary>
/// Runs queued jobs one at a time, in the order they were queued, with <see cref="Trainer"/> in this
/// process. A run resumes from the job's newest readable checkpoint when it has one (after a coordinator restart).
/// On shutdown the running job stops at a step boundary with a checkpoint and stays RUNNING, to resume next start.
/// </summary>
internal sealed class JobScheduler : IAsyncDisposable
{
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, JobInput> _loaded = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly JobGrainHost _grains;
    private readonly JobStopSignals _stopSignals;
    private readonly CoordinatorPaths _paths;
    private readonly ILogger _logger;
    private readonly Task _loop;

    public JobScheduler(JobGrainHost grains, JobStopSignals stopSignals, CoordinatorPaths paths, ILogger logger)
    {
        _grains = grains;
        _stopSignals = stopSignals;
        _paths = paths;
        _logger = logger;
        _loop = Task.Run(RunQueueAsync);
    }

    /// <summary>Queues <paramref name="jobId"/>; <paramref name="input"/> is its already loaded data, if the caller has it.</summary>
    public void Enqueue(string jobId, JobInput? input = null)
    {
        if (input is not null)
        {
            _loaded[jobId] = input;
        }
        _queue.Writer.TryWrite(jobId);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _shutdown.CancelAsync();
        await _loop;
        _shutdown.Dispose();
    }

    private async Task RunQueueAsync()
    {
        await foreach (var jobId in _queue.Reader.ReadAllAsync())
        {
            _loaded.TryRemove(jobId, out var input);
            if (_shutdown.IsCancellationRequested)
            {
                continue;
            }
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
            // Registered before Start, so a cancel that arrives in the grain after Start always finds the run.
            _stopSignals.Register(jobId, stop);
            try
            {
                var grain = _grains.GetGrain(jobId);
                if (await grain.Start() is { } spec)
                {
                    await RunAsync(jobId, grain, spec, input, stop.Token);
                }
            }
            catch (Exception failure) when (failure is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                // The grain could not persist its state (a full or read-only disk); the queue goes on with the next job.
                CoordinatorLog.JobFailed(_logger, jobId, failure);
            }
            finally
            {
                _stopSignals.Unregister(jobId);
            }
        }
    }

    private async Task RunAsync(string jobId, IJobGrain grain, JobSpec spec, JobInput? input, CancellationToken stop)
    {
        string jobDirectory = _paths.JobDirectory(jobId);
        string checkpoints = _paths.CheckpointDirectory(jobId);
        CoordinatorLog.JobStarted(_logger, jobId);
        try
        {
            input ??= await Task.Run(() => JobInput.FromSpec(spec), stop);
            string? resumeFrom = Directory.Exists(checkpoints) ? new CheckpointStore(checkpoints).LoadLatest().Directory : null;
            if (resumeFrom is not null)
            {
                string checkpointName = Path.GetFileName(resumeFrom);
                CoordinatorLog.JobResuming(_logger, jobId, checkpointName);
            }
            var summary = await Task.Factory.StartNew(() =>
            {
                using var trainer = Trainer.Create(input.Spec, input.Data, checkpoints, resumeFrom);
                using var tensorBoard = new TensorBoardObserver(Path.Combine(jobDirectory, RunOutputs.TensorBoardDirectory), trainer.Model.Store);
                return trainer.Run(new GrainReportingObserver(grain, jobDirectory, checkpoints, spec.Name, tensorBoard), cancellation: stop);
            }, stop, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            string? checkpoint = summary.Checkpoint is null ? null : Path.GetFileName(summary.Checkpoint);
            await grain.Finish(JobState.Succeeded,
                $"Test accuracy {summary.TestAccuracy:P2} after {summary.Epochs} epochs.", JobMetrics.FromSummary(summary), checkpoint);
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            CoordinatorLog.JobInterrupted(_logger, jobId);
        }
        catch (OperationCanceledException)
        {
            await grain.Finish(JobState.Cancelled, "Cancelled; the last checkpoint holds the state at the stop.", null,
                GrainReportingObserver.NewestCheckpoint(checkpoints));
        }
        catch (JobInputException invalid)
        {
            await grain.Finish(JobState.Failed, invalid.Message, null, null);
        }
        catch (Exception failure)
        {
            // Whatever went wrong belongs to this job; the queue goes on with the next one.
            CoordinatorLog.JobFailed(_logger, jobId, failure);
            await grain.Finish(JobState.Failed, failure.Message, null, GrainReportingObserver.NewestCheckpoint(checkpoints));
        }
    }
}
