namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// A thread of its own that sleeps on a futex word in shared memory until a condition holds, then completes the task
/// the caller awaits on that same thread, so the caller's continuation runs without a further hand-off between threads.
/// One waiter per end of a <see cref="SharedMemoryInbox"/>: its waits never hold a thread-pool thread, which ranks of one
/// process (tests) or a busy worker could otherwise exhaust.
/// </summary>
/// <remarks>
/// The other side changes the state, increments <c>sequence</c>, and wakes the word when <c>waiting</c> is set. This
/// side reads the sequence before it checks the condition and sleeps only while the sequence is unchanged, so a change
/// between the check and the sleep is never missed. The sleep is cut into slices, so cancellation, a broken link and
/// <see cref="Dispose"/> are seen within one slice.
/// </remarks>
internal sealed class FutexWaiter : IDisposable
{
    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(10);

    private readonly nint _sequence;
    private readonly nint _waiting;
    private readonly Func<bool> _ready;
    private readonly Func<string?> _broken;
    private readonly Thread _thread;
    private readonly object _gate = new();
    private TaskCompletionSource? _request;
    private CancellationToken _cancellation;
    private bool _stopped;

    /// <param name="name">The thread's name.</param>
    /// <param name="sequence">The word the other side increments after every change that may make <paramref name="ready"/> true.</param>
    /// <param name="waiting">The word this side sets while it sleeps.</param>
    /// <param name="ready">The condition waited for.</param>
    /// <param name="broken">Why waiting is pointless (the other side is gone); null while it is not.</param>
    public unsafe FutexWaiter(string name, int* sequence, int* waiting, Func<bool> ready, Func<string?> broken)
    {
        _sequence = (nint)sequence;
        _waiting = (nint)waiting;
        (_ready, _broken) = (ready, broken);
        _thread = new Thread(Run) { Name = name, IsBackground = true };
        _thread.Start();
    }

    /// <summary>
    /// Completes, on the waiter's thread, once the condition holds; cancelled with <paramref name="cancellationToken"/>;
    /// faults with <see cref="IOException"/> when the link is broken or the waiter disposed. One wait at a time.
    /// </summary>
    public Task WhenReady(CancellationToken cancellationToken)
    {
        // Continuations run on the completing thread: the waiter's, which is free for them (see Run).
        var request = new TaskCompletionSource();
        lock (_gate)
        {
            if (_stopped)
            {
                throw new IOException("the shared-memory link is closed");
            }
            _request = request;
            _cancellation = cancellationToken;
            Monitor.Pulse(_gate);
        }
        return request.Task;
    }

    /// <summary>
    /// Waits until the condition holds, then calls <paramref name="attempt"/> on the waiter's thread, and again after each
    /// later wait, until it succeeds.
    /// </summary>
    public async ValueTask RetryUntilAsync(Func<bool> attempt, CancellationToken cancellationToken)
    {
        do
        {
            // Not back to the caller's context: the attempt, and the caller's work after it, go on on the waiter's thread.
            await WhenReady(cancellationToken).ConfigureAwait(false);
        }
        while (!attempt());
    }

    private void Run()
    {
        while (true)
        {
            TaskCompletionSource request;
            CancellationToken cancellation;
            lock (_gate)
            {
                while (_request is null && !_stopped)
                {
                    Monitor.Wait(_gate);
                }
                if (_stopped)
                {
                    _request?.TrySetException(new IOException("the shared-memory link is closed"));
                    return;
                }
                (request, cancellation, _request) = (_request!, _cancellation, null);
            }
            // The caller's continuation runs inside this call, and may ask for the next wait: it is queued, and taken
            // when the continuation returns here.
            Complete(request, cancellation);
        }
    }

    private unsafe void Complete(TaskCompletionSource request, CancellationToken cancellation)
    {
        int* sequenceWord = (int*)_sequence;
        int* waitingWord = (int*)_waiting;
        while (true)
        {
            int sequence = Volatile.Read(ref *sequenceWord);
            if (_ready())
            {
                request.TrySetResult();
                return;
            }
            if (cancellation.IsCancellationRequested)
            {
                request.TrySetCanceled(cancellation);
                return;
            }
            string? reason = _broken() ?? (Volatile.Read(ref _stopped) ? "the shared-memory link is closed" : null);
            if (reason is not null)
            {
                request.TrySetException(new IOException(reason));
                return;
            }
            Interlocked.Exchange(ref *waitingWord, 1);
            if (!_ready())
            {
                Futex.WaitWhile(sequenceWord, sequence, Slice);
            }
            Interlocked.Exchange(ref *waitingWord, 0);
        }
    }

    /// <summary>
    /// Stops the thread: a wait in progress faults. Returns once the thread no longer touches the shared words, unless
    /// called from the waiter's own thread (a continuation disposing its link), which exits when that continuation returns.
    /// </summary>
    public unsafe void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            Monitor.Pulse(_gate);
        }
        Futex.WakeAll((int*)_sequence);
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
    }
}
