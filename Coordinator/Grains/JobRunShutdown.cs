using Microsoft.Extensions.Hosting;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// Stops every job run when the coordinator stops, before the silo does (it is registered after the silo and acts
/// in the host's stopping phase): runs stop at a step boundary with a checkpoint and stay RUNNING, to resume at the
/// next start. The grains are still active meanwhile, so the runs' last reports reach them.
/// </summary>
internal sealed class JobRunShutdown : IHostedLifecycleService, IDisposable
{
    private readonly object _gate = new();
    private readonly HashSet<Task> _runs = [];
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Cancelled when the coordinator stops.</summary>
    public CancellationToken Token => _stopping.Token;

    /// <summary>True once the coordinator is stopping.</summary>
    public bool IsStopping => _stopping.IsCancellationRequested;

    /// <summary>Waits for <paramref name="run"/> at shutdown; it is forgotten when it ends.</summary>
    public void Track(Task run)
    {
        lock (_gate)
        {
            _runs.Add(run);
        }
        _ = run.ContinueWith(ended =>
        {
            lock (_gate)
            {
                _runs.Remove(ended);
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <inheritdoc />
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        Task[] runs;
        lock (_gate)
        {
            runs = [.. _runs];
        }
        await Task.WhenAll(runs);
    }

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public void Dispose() => _stopping.Dispose();
}
