using DistributedTrainer.Data.Shards;

namespace DistributedTrainer.Data;

/// <summary>
/// Reads a worker's next step's samples while the current step computes (issue 17: streaming reads), for a data set of
/// shard files. Per step: <see cref="UseAsync"/> puts the samples read ahead into <see cref="Data"/>, so its gathers take
/// them from memory; <see cref="Prefetch"/> starts reading the next step's samples in the background; <see cref="Release"/>,
/// after the step, frees the samples in use. A sample held in memory is converted from the very bytes a read of the file
/// gives, by the same code, so results are bitwise the same whether a sample was read ahead, read during the step, or
/// its read ahead failed or was never asked for: what is not held is read from the files as before.
/// </summary>
/// <remarks>
/// Bounded: at most two steps' samples are held, the ones in use and the next step's, as stored bytes in buffers from the
/// shared array pool. One step at a time calls these methods (the worker's step turn); gathers from <see cref="Data"/>
/// may run on many threads meanwhile. <see cref="DisposeAsync"/> cancels a read in flight, waits for it and frees every
/// buffer.
/// </remarks>
public sealed class SampleReadAhead : IAsyncDisposable
{
    private readonly Dataset _source;
    private readonly ReadAheadSamples _store;
    private Pending? _next;
    // Reads replaced before they were used: cancelled, awaited on dispose so that none outlives this object.
    private Task _abandoned = Task.CompletedTask;

    private SampleReadAhead(Dataset source, ReadAheadSamples store)
    {
        _source = source;
        _store = store;
        Data = source.WithStore(store);
    }

    /// <summary>The same samples as the source data set; gathers take the samples in use from memory.</summary>
    public Dataset Data { get; }

    /// <summary>
    /// A read ahead over <paramref name="data"/> when its samples are in shard files; null when they are in memory
    /// (arrays: nothing to read ahead).
    /// </summary>
    public static SampleReadAhead? For(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.Store is ShardedSamples files ? new SampleReadAhead(data, new ReadAheadSamples(files)) : null;
    }

    /// <summary>
    /// Starts reading the samples <paramref name="sampleIds"/> (positions in the source data set) in the background, for
    /// the next <see cref="UseAsync"/>; replaces a read not used yet. No ids: nothing is read.
    /// </summary>
    public void Prefetch(ReadOnlySpan<int> sampleIds)
    {
        if (_next is { } unused)
        {
            _next = null;
            Abandon(unused);
        }
        if (sampleIds.IsEmpty)
        {
            return;
        }
        var rows = new int[sampleIds.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = _source.StoredRow(sampleIds[i]);
        }
        Array.Sort(rows);
        // Not empty (returned above), so the first row is distinct.
        int distinct = 1;
        for (int i = 1; i < rows.Length; i++)
        {
            if (rows[i] != rows[distinct - 1])
            {
                rows[distinct++] = rows[i];
            }
        }
        Array.Resize(ref rows, distinct);
        var cancel = new CancellationTokenSource();
        var files = _store.Files;
        _next = new Pending(Task.Run(() => StoredRows.Read(files, rows, cancel.Token), cancel.Token), cancel);
    }

    /// <summary>
    /// Frees the samples in use and puts the ones <see cref="Prefetch"/> read in their place, waiting for the read when it
    /// is still running (the step would read those samples anyway). A read that failed is dropped: the step's gathers
    /// read the files and report any error themselves.
    /// </summary>
    /// <returns>Whether samples read ahead are now in use.</returns>
    public async ValueTask<bool> UseAsync(CancellationToken cancellationToken)
    {
        // The counts stay for Release to report.
        _store.Hold(null)?.Dispose();
        // A cancelled step throws even when the read is done (WaitAsync would hand back a finished read); the read stays
        // for the next call.
        cancellationToken.ThrowIfCancellationRequested();
        if (_next is not { } next)
        {
            return false;
        }
        _next = null;
        StoredRows rows;
        try
        {
            rows = await next.Read.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Abandon(next);
            throw;
        }
        catch (Exception)
        {
            // Whatever went wrong (a truncated shard, a disk error) is not this step's failure: its gathers read the
            // files and report what they meet.
            next.Cancel.Dispose();
            return false;
        }
        next.Cancel.Dispose();
        _store.Hold(rows);
        return true;
    }

    /// <summary>
    /// Frees the samples in use (gathers read the files again) and returns the feature rows gathered since the last call:
    /// from memory (hits) and from the files (misses). Call it while no gather runs.
    /// </summary>
    public (long Hits, long Misses) Release()
    {
        _store.Hold(null)?.Dispose();
        return _store.TakeCounts();
    }

    /// <summary>Frees the samples in use, cancels a read in flight and waits for it, and frees what it read.</summary>
    public async ValueTask DisposeAsync()
    {
        Release();
        if (_next is { } next)
        {
            _next = null;
            Abandon(next);
        }
        await _abandoned;
    }

    // Cancels a read nobody will use; dispose waits for it. Finished ones are let go, so the chain stays short.
    private void Abandon(Pending read)
    {
        var abandoning = read.AbandonAsync();
        _abandoned = _abandoned.IsCompleted ? abandoning : Task.WhenAll(_abandoned, abandoning);
    }

    private sealed record Pending(Task<StoredRows> Read, CancellationTokenSource Cancel)
    {
        // Cancels the read and frees what it read, if it got that far; never throws: nobody waits for these samples.
        public async Task AbandonAsync()
        {
            await Cancel.CancelAsync();
            try
            {
                (await Read).Dispose();
            }
            catch (Exception)
            {
                // Cancelled or failed: it read nothing to free, and no step waits for it.
            }
            finally
            {
                Cancel.Dispose();
            }
        }
    }
}
