using System.Runtime.ExceptionServices;

namespace DistributedTrainer.Training;

/// <summary>
/// A fixed team of threads that run one body together and wait for each other: the caller is member 0 and
/// <c>size - 1</c> background threads, started once, are the others. Unlike Parallel.For it allocates nothing per
/// run and keeps its threads, so a training step can fan out without garbage.
/// </summary>
internal sealed class WorkerTeam : IDisposable
{
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _start;
    private readonly CountdownEvent _done;
    private Action<int>? _body;
    private ExceptionDispatchInfo? _error;
    private volatile bool _stopping;

    /// <param name="size">Members including the caller, at least 1.</param>
    public WorkerTeam(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Size = size;
        _threads = new Thread[size - 1];
        _start = new SemaphoreSlim[size - 1];
        _done = new CountdownEvent(1);
        for (int i = 0; i < _threads.Length; i++)
        {
            int member = i + 1;
            _start[i] = new SemaphoreSlim(0);
            _threads[i] = new Thread(() => Serve(member)) { IsBackground = true, Name = $"trainer worker {member}" };
            _threads[i].Start();
        }
    }

    /// <summary>Members, the caller included.</summary>
    public int Size { get; }

    /// <summary>
    /// Runs <paramref name="body"/>(member) on the first <paramref name="members"/> members at once and returns when
    /// all are done; rethrows the first exception a member threw. Pass a cached delegate to stay allocation-free.
    /// </summary>
    public void Run(int members, Action<int> body)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(members, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(members, Size);
        _body = body;
        _error = null;
        _done.Reset(members);
        for (int i = 0; i < members - 1; i++)
        {
            _start[i].Release();
        }
        Execute(0);
        _done.Wait();
        _body = null;
        _error?.Throw();
    }

    private void Serve(int member)
    {
        while (true)
        {
            _start[member - 1].Wait();
            if (_stopping)
            {
                return;
            }
            Execute(member);
        }
    }

    private void Execute(int member)
    {
        try
        {
            _body!(member);
        }
        catch (Exception error)
        {
            Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(error), null);
        }
        finally
        {
            _done.Signal();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        foreach (var start in _start)
        {
            start.Release();
        }
        foreach (var thread in _threads)
        {
            thread.Join();
        }
        foreach (var start in _start)
        {
            start.Dispose();
        }
        _done.Dispose();
    }
}
